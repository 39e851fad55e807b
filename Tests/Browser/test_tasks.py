"""The analyst's page: the chip grid coloured by state over the scene, the consensus layer after a
run started from the page, the annotators' figures, the agreement matrix, an export downloaded."""

import json
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from conftest import screenshot, sign_in, wait_for
from tasks_support import EXPECTED_COUNTS, EXPECTED_STATES, set_up_states


def legend_counts(driver, legend="chip-legend", key="state"):
    return {item.get_attribute(f"data-{key}"): int(item.find_element(By.CSS_SELECTOR, ".count").text)
            for item in driver.find_elements(By.CSS_SELECTOR, f"#{legend} li")}


def drawn(driver, selector, key):
    """Counts the drawn shapes per value of their data attribute."""
    counts = {}
    for value in driver.execute_script(
            f"return [...document.querySelectorAll('#map {selector}')].map(e => e.dataset.{key})"):
        counts[value] = counts.get(value, 0) + 1
    return counts


def test_the_analyst_sees_each_chip_state_runs_consensus_and_downloads_an_export(deployment, town, browser, tmp_path):
    set_up_states(deployment, town, tmp_path)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})

    sign_in(browser, deployment, "lena", "tasks.html?task=grid")
    wait_for(browser, EC.presence_of_element_located((By.CSS_SELECTOR, "#map[data-chips='16']")))
    # Both tasks are listed; the chosen one is shown.
    names = [item.get_attribute("data-task") for item in browser.find_elements(By.CSS_SELECTOR, "#task-list li")]
    assert names == ["grid", "town"]
    assert browser.find_element(By.ID, "task-title").text == "Task grid"

    # The legend and the drawn rectangles agree with the states set up, chip by chip.
    assert legend_counts(browser) == EXPECTED_COUNTS
    assert drawn(browser, "path.chip", "state") == {state: n for state, n in EXPECTED_COUNTS.items() if n}
    for chip, state in EXPECTED_STATES.items():
        assert browser.execute_script(
            f"return document.querySelector('#map path.chip[data-chip=\"{chip}\"]').dataset.state") == state
    # The overview lies under the grid, fetched with the token.
    wait_for(browser, lambda d: d.execute_script(
        "const i = document.querySelector('#map img.overview'); return i && i.complete && i.naturalWidth > 0"))
    assert browser.execute_script("return document.querySelector('#map img.overview').naturalWidth") == 1024
    assert "No consensus run yet" in browser.find_element(By.ID, "run-info").text
    assert not browser.find_elements(By.CSS_SELECTOR, "#map path.object")
    assert browser.find_element(By.ID, "export-geojson").get_attribute("disabled") is not None

    # A consensus run from the button: the job is followed to its end and the layer drawn.
    browser.find_element(By.ID, "run-consensus").click()
    wait_for(browser, EC.presence_of_element_located((By.CSS_SELECTOR, "#consensus-status[data-state='succeeded']")),
             timeout=60)
    wait_for(browser, EC.presence_of_element_located((By.CSS_SELECTOR, "#run-info[data-run]")))
    status, truth = deployment.api("lena", "/tasks/grid/map")
    assert status == 200 and truth["run"]["objects"]
    run = truth["run"]
    assert browser.find_element(By.ID, "run-info").get_attribute("data-run") == str(run["id"])
    expected_reviews = {}
    for item in run["objects"]:
        expected_reviews[item["review"]] = expected_reviews.get(item["review"], 0) + 1
    assert drawn(browser, "path.object", "review") == expected_reviews
    assert {k: v for k, v in legend_counts(browser, "object-legend", "review").items() if v} == expected_reviews
    # The box both drew on the first chip lies inside that chip's rectangle on screen.
    inside = browser.execute_script("""
        const chip = document.querySelector('#map path.chip[data-chip="r0000_c0000"]').getBoundingClientRect();
        return [...document.querySelectorAll('#map path.object')].map(e => e.getBoundingClientRect())
          .filter(b => b.left >= chip.left - 1 && b.right <= chip.right + 1 && b.top >= chip.top - 1
                       && b.bottom <= chip.bottom + 1).length""")
    assert inside >= 1

    # Per-annotator figures: as the server reports them.
    rows = {row.get_attribute("data-annotator"): row for row in browser.find_elements(By.CSS_SELECTOR, "#annotators tr[data-annotator]")}
    assert sorted(rows) == ["ana", "ben"]
    for entry in truth["annotators"]:
        row = rows[entry["annotator"]]
        assert row.find_element(By.CSS_SELECTOR, ".submissions").text == str(entry["submissions"])
        for key, css in (("gold_f1", ".gold-f1"), ("agreement_f1", ".agreement-f1")):
            shown = row.find_element(By.CSS_SELECTOR, css).text
            assert shown == (f"{entry[key]:.2f}" if key in entry else "–"), (entry, key, shown)
    assert rows["ana"].find_element(By.CSS_SELECTOR, ".submissions").text == "3"
    assert rows["ben"].find_element(By.CSS_SELECTOR, ".gold-f1").text == "0.00"  # one box where gold has none
    assert rows["ana"].find_element(By.CSS_SELECTOR, ".gold-f1").text == "–"

    # The agreement matrix as a heat map: one cell per pair, the run's values.
    agreement = truth["agreement"]
    cells = browser.find_elements(By.CSS_SELECTOR, "#agreement td[data-value]")
    assert len(cells) == len(agreement["annotators"]) ** 2 == 4
    for cell in cells:
        i = agreement["annotators"].index(cell.get_attribute("data-row"))
        j = agreement["annotators"].index(cell.get_attribute("data-column"))
        assert abs(float(cell.get_attribute("data-value")) - agreement["matrix"][i][j]) < 1e-9
        assert cell.value_of_css_property("background-color") not in ("rgba(0, 0, 0, 0)", "transparent")
    diagonal = browser.find_element(By.CSS_SELECTOR, "#agreement td[data-row='ana'][data-column='ana']")
    assert diagonal.text == "1.00"

    # An export downloaded with the token: the file holds the run's accepted objects.
    browser.find_element(By.ID, "export-geojson").click()
    wait_for(browser, EC.presence_of_element_located((By.CSS_SELECTOR, "#export-status[data-file='grid.geojson']")))
    target = downloads / "grid.geojson"
    deadline = time.time() + 20
    while time.time() < deadline and not target.exists():
        time.sleep(0.1)
    exported = json.loads(target.read_text())
    accepted = [item for item in run["objects"] if item["status"] == "accepted"]
    assert len(exported["features"]) == len(accepted)
    assert int(browser.find_element(By.ID, "export-status").get_attribute("data-bytes")) == target.stat().st_size
    screenshot(browser, "tasks")


def test_the_task_map_is_not_for_annotators_or_reviewers(deployment, browser):
    for user, role in (("rita", "reviewer"), ("ana", "annotator")):
        sign_in(browser, deployment, user, "tasks.html")
        message = wait_for(browser, EC.visibility_of_element_located((By.ID, "message")))
        assert f"signed in as {role}" in message.text
        assert not browser.find_elements(By.CSS_SELECTOR, "#task-list li")
        status, _ = deployment.api(user, "/tasks/town/map")
        assert status == 403
        browser.find_element(By.ID, "sign-out").click()
        wait_for(browser, EC.visibility_of_element_located((By.ID, "token")))


def test_the_map_frame_puts_scene_pixels_where_leaflet_expects_them(deployment, browser):
    """tasks-map.js: scene pixel [x, y] is L.latLng(-y, x); a window's bounds and a polygon's rings
    follow; the heat-map colour runs from red (0) to green (1)."""
    sign_in(browser, deployment, "lena", "tasks.html")
    wait_for(browser, EC.presence_of_element_located((By.CSS_SELECTOR, "body[data-ready='true']")))
    result = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        import('/app/js/tasks-map.js').then((m) => {
          const point = m.scenePoint([300, 40]);
          const bounds = m.windowBounds({ x: 256, y: 512, width: 256, height: 128 });
          const rings = m.polygonPositions([[[[0, 0], [10, 0], [10, 20], [0, 0]]]]);
          done({
            point: [point.lat, point.lng],
            bounds: [bounds.getSouth(), bounds.getWest(), bounds.getNorth(), bounds.getEast()],
            ring: rings[0][0].map((p) => [p.lat, p.lng]),
            colours: [m.agreementColour(0), m.agreementColour(0.5), m.agreementColour(1), m.agreementColour(null)],
          });
        }, (error) => done({ error: String(error) }));
    """)
    assert "error" not in result, result
    assert result["point"] == [-40, 300]
    assert result["bounds"] == [-640, 256, -512, 512]
    assert result["ring"] == [[0, 0], [0, 10], [-20, 10], [0, 0]]
    assert result["colours"] == ["hsl(0, 70%, 78%)", "hsl(60, 70%, 68%)", "hsl(120, 70%, 58%)", "#eeeeee"]
