"""The annotator's page in a real browser: a lease taken, shapes drawn with real pointer events
and labelled with the keyboard, the store's rows checked in lon/lat; refusals shown at the
shape; "Nothing here", "Bad imagery" and "Skip" recorded as the workflow defines them; the
draft kept over a reload; an expired lease said; nothing of another annotator's seen."""

import json
import re
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from annotate_support import (
    INSTRUCTIONS, choose, click_at, draw_box, draw_polygon, drag, expire_soon, flags, leased_task, message,
    open_page, press, same_ring, screen_point, shape_count, stored_shapes, submissions, take_next_chip,
    to_chip_pixels, wait_for_chip_image, chip_rect, chip_name,
)
from conftest import requested_urls, response_bodies, screenshot, sign_in, wait_for


def submitted(browser):
    wait_for(browser, lambda driver: "Submitted" in message(driver) or "refused" in message(driver))
    return message(browser)


def test_ana_draws_a_box_and_a_polygon_labels_them_by_keyboard_and_the_store_holds_them(deployment, browser):
    task = leased_task(deployment)
    open_page(browser, deployment, "ana", task)
    chip = take_next_chip(browser)
    assert chip == "r0000_c0000"
    # The lease clock runs; the instructions and the labels with their keys are shown.
    left = browser.find_element(By.ID, "lease-left").text
    assert re.fullmatch(r"(59|60):\d\d", left), left
    assert browser.find_element(By.ID, "instructions").text == INSTRUCTIONS
    labels = [item.text for item in browser.find_elements(By.CSS_SELECTOR, "#labels li")]
    assert labels[0].startswith("1") and "Building" in labels[0] and "polygon" in labels[0]
    assert labels[1].startswith("2") and "Vehicle" in labels[1] and "box" in labels[1]
    swatch = browser.find_element(By.CSS_SELECTOR, "#labels li .swatch").value_of_css_property("background-color")
    assert swatch == "rgba(208, 69, 58, 1)"  # the schema's #d0453a
    # The neighbourhood came from the API and lies under the chip, dimmed, 256 px wider each way
    # where the scene goes on (this chip is the scene's top-left corner).
    context = wait_for(browser, lambda driver: driver.execute_script(
        "const image = document.querySelector('img.chip-context');"
        "return image && image.complete && image.naturalWidth ? [image.naturalWidth, image.naturalHeight] : null"))
    assert context == [512 + 256, 512 + 256]
    assert any("/chips/r0000_c0000/context.png?margin=256" in url for url in requested_urls(browser))

    rect = chip_rect(browser)
    assert rect["width"] == 512
    # 2 → Vehicle, a box dragged; its required type chosen in the form.
    press(browser, "2")
    box = draw_box(browser, rect, (255, 160), (275, 175))  # the red car on the street
    wait_for(browser, lambda driver: shape_count(driver) == 1)
    choose(browser, "type", "car")
    # Esc lets go of the box; 1 → Building, a polygon of four clicks and Enter.
    press(browser, Keys.ESCAPE, "1")
    polygon = draw_polygon(browser, rect, [(291, 218), (327, 217), (327, 254), (291, 254)])  # the orange roof
    wait_for(browser, lambda driver: shape_count(driver) == 2)
    choose(browser, "roof", "hip")
    screenshot(browser, "annotate")

    browser.find_element(By.ID, "submit").click()
    assert "Submitted 2 shapes" in submitted(browser), message(browser)

    stored = stored_shapes(deployment, "ana", task, chip)
    assert [(label, shape) for label, shape, _, _ in stored] == [("vehicle", "bbox"), ("building", "polygon")]
    assert stored[0][3] == {"type": "car", "occluded": False}
    assert stored[1][3] == {"roof": "hip", "occluded": False}
    (ax, ay), (bx, by) = box
    expected_box = [(ax, ay), (bx, ay), (bx, by), (ax, by)]
    for expected, (_, _, ring, _) in zip([expected_box, polygon], stored):
        pixels = to_chip_pixels(deployment, task, chip, ring)
        assert same_ring(expected, pixels), (expected, pixels)
    # The lease ended with the answer; the draft went with it.
    status, leases = deployment.api("ana", "/leases")
    assert status == 200 and leases == []
    assert not [key for key in browser.execute_script("return Object.keys(sessionStorage)") if ".draft." in key]


def test_a_self_intersecting_polygon_is_refused_at_the_shape_and_the_fix_is_accepted(deployment, browser):
    task = leased_task(deployment)
    open_page(browser, deployment, "ana", task)
    chip = take_next_chip(browser)
    rect = chip_rect(browser)
    press(browser, "1")
    # A bow tie: edges (300,100)→(100,300) and (300,300)→(100,100) cross at (200,200).
    draw_polygon(browser, rect, [(100, 100), (300, 100), (100, 300), (300, 300)])
    wait_for(browser, lambda driver: shape_count(driver) == 1)
    choose(browser, "roof", "flat")
    browser.find_element(By.ID, "submit").click()
    wait_for(browser, lambda driver: "refused" in message(driver))
    # The server's message is at the shape (the tool's tooltip) and in the list of problems.
    tooltip = wait_for(browser, EC.visibility_of_element_located((By.CSS_SELECTOR, ".leaflet-tooltip.swath-problem")))
    assert "intersect" in tooltip.text.lower(), tooltip.text
    problems = browser.find_element(By.ID, "problems").text.lower()
    assert "intersect" in problems
    rejected = submissions(deployment, "ana", task)
    assert [(row[0], row[1]) for row in rejected] == [(chip, "rejected")]

    # The fix: select the shape at one of its edges and drag the vertex (100,300) to (400,200)
    # (the message bar above the map moved it: where the chip is now).
    rect = chip_rect(browser)
    click_at(browser, screen_point(rect, (200, 100))[0])
    time.sleep(0.3)
    start, _ = screen_point(rect, (100, 300))
    end, moved = screen_point(rect, (400, 200))
    drag(browser, start, end, steps=10)
    time.sleep(0.3)
    browser.find_element(By.ID, "submit").click()
    wait_for(browser, lambda driver: "Submitted" in message(driver) or "#2" in message(driver))
    assert "Submitted 1 shape" in message(browser), message(browser)
    stored = stored_shapes(deployment, "ana", task, chip)
    assert len(stored) == 1 and stored[0][3]["roof"] == "flat"
    pixels = to_chip_pixels(deployment, task, chip, stored[0][2])
    assert same_ring([(100, 100), (300, 100), moved, (300, 300)], pixels, tolerance=1.0), pixels


def test_nothing_here_bad_imagery_and_skip_are_recorded_as_the_workflow_defines_them(deployment, browser):
    task = leased_task(deployment)
    open_page(browser, deployment, "ana", task)
    first = take_next_chip(browser)
    browser.find_element(By.ID, "comment").send_keys("only grass")
    browser.find_element(By.ID, "nothing").click()
    wait_for(browser, lambda driver: "nothing to label" in message(driver))
    # "Nothing here" is the vote that the chip is empty: an accepted submission without features.
    [(chip, status, raw, features)] = submissions(deployment, "ana", task)
    assert (chip, status, features) == (first, "accepted", 0)
    assert json.loads(raw)["comment"] == "only grass"

    second = take_next_chip(browser)
    assert second != first
    browser.find_element(By.ID, "comment").send_keys("clouds all over")
    browser.find_element(By.ID, "bad-imagery").click()
    wait_for(browser, lambda driver: "bad imagery" in message(driver))
    third = take_next_chip(browser)
    browser.find_element(By.ID, "skip").click()
    wait_for(browser, lambda driver: "Skipped" in message(driver))
    # Flags are no vote: no submission for them; each ended ana's lease.
    assert flags(deployment, task) == [
        (second, "ana", "bad_imagery", "clouds all over"), (third, "ana", "skip", None)]
    assert len(submissions(deployment, "ana", task)) == 1
    assert deployment.api("ana", "/leases") == (200, [])


def test_the_draft_survives_a_reload_while_the_lease_lasts(deployment, browser):
    task = leased_task(deployment)
    open_page(browser, deployment, "ana", task)
    chip = take_next_chip(browser)
    rect = chip_rect(browser)
    press(browser, "2")
    draw_box(browser, rect, (50, 60), (90, 80))
    wait_for(browser, lambda driver: shape_count(driver) == 1)
    choose(browser, "type", "truck")
    press(browser, Keys.ESCAPE, "1")
    draw_polygon(browser, rect, [(200, 200), (260, 200), (260, 260)])
    wait_for(browser, lambda driver: shape_count(driver) == 2)
    time.sleep(0.6)  # the draft is written 300 ms after the last change

    browser.refresh()
    wait_for(browser, lambda driver: chip_name(driver) == chip)
    wait_for_chip_image(browser)
    wait_for(browser, lambda driver: shape_count(driver) == 2)
    assert "draft of 2 shapes is back" in message(browser)
    # The restored box still has its attribute, and submitting it needs only the roof.
    browser.find_element(By.ID, "submit").click()
    wait_for(browser, lambda driver: "required attribute" in message(driver))
    choose(browser, "roof", "gable")
    browser.find_element(By.ID, "submit").click()
    assert "Submitted 2 shapes" in submitted(browser), message(browser)
    stored = stored_shapes(deployment, "ana", task, chip)
    assert [(label, attributes.get("type") or attributes.get("roof")) for label, _, _, attributes in stored] == [
        ("vehicle", "truck"), ("building", "gable")]
    # Submitted: the draft is gone, so a reload shows no old shapes.
    assert not [key for key in browser.execute_script("return Object.keys(sessionStorage)") if ".draft." in key]


def test_an_expired_lease_is_said_and_submit_disabled(deployment, browser):
    task = leased_task(deployment)
    open_page(browser, deployment, "ana", task)
    chip = take_next_chip(browser)
    rect = chip_rect(browser)
    press(browser, "2")
    draw_box(browser, rect, (50, 60), (90, 80))
    wait_for(browser, lambda driver: shape_count(driver) == 1)
    # The lease runs out in 4 s (as if taken long ago); the page picks it up on reload.
    expire_soon(deployment, 4)
    browser.refresh()
    wait_for(browser, lambda driver: chip_name(driver) == chip)
    assert browser.find_element(By.ID, "submit").is_enabled()
    wait_for(browser, lambda driver: "expired" in message(driver), timeout=15)
    assert browser.find_element(By.ID, "lease-left").text == "expired"
    for button in ["submit", "nothing", "bad-imagery", "skip", "extend"]:
        assert not browser.find_element(By.ID, button).is_enabled(), button
    assert "can no longer be submitted" in message(browser)
    # The draft went with the lease; nothing was stored.
    assert not [key for key in browser.execute_script("return Object.keys(sessionStorage)") if ".draft." in key]
    assert submissions(deployment, "ana", task) == []


def test_extend_moves_the_end_of_the_lease(deployment, browser):
    task = leased_task(deployment, lease_time="10m")
    open_page(browser, deployment, "ana", task)
    take_next_chip(browser)
    expire_soon(deployment, 90)
    browser.refresh()
    wait_for(browser, lambda driver: driver.find_element(By.ID, "lease-left").text.startswith("1:"))
    browser.find_element(By.ID, "extend").click()
    wait_for(browser, lambda driver: "Lease extended" in message(driver))
    wait_for(browser, lambda driver: re.fullmatch(r"(9|10):\d\d", driver.find_element(By.ID, "lease-left").text))
    status, [lease] = deployment.api("ana", "/leases")
    assert status == 200 and lease["expires_at"] > lease["leased_at"]


def test_anas_page_never_shows_bens_shapes_or_name(deployment, browser):
    # ben answers r0000_c0000 of the assigned task first, in chip pixels.
    ben = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"label": "building", "roof": "gable"},
        "geometry": {"type": "Polygon", "coordinates": [[[123, 145], [187, 145], [187, 209], [123, 209], [123, 145]]]}}]}
    status, body = deployment.api(
        "ben", "/tasks/town/chips/r0000_c0000/submissions?coordinates=pixel", "POST",
        json.dumps(ben).encode(), "application/geo+json")
    assert status == 201, body
    [(_, _, ring, _)] = stored_shapes(deployment, "ben", "town", "r0000_c0000")
    # His positions as stored (9 decimals): no answer to ana may carry one of them.
    bens_numbers = {repr(value) for position in ring for value in position}
    assert all(len(number.split(".")[1]) >= 7 for number in bens_numbers), bens_numbers

    open_page(browser, deployment, "ana", "town")
    chip = take_next_chip(browser)
    assert chip == "r0000_c0000"  # the same chip: ana's assignment in a task that assigns up front
    assert shape_count(browser) == 0
    rect = chip_rect(browser)
    press(browser, "1")
    draw_polygon(browser, rect, [(300, 300), (360, 300), (360, 360)])
    wait_for(browser, lambda driver: shape_count(driver) == 1)
    choose(browser, "roof", "flat")
    browser.find_element(By.ID, "submit").click()
    assert "Submitted 1 shape" in submitted(browser)
    take_next_chip(browser)

    text = browser.find_element(By.TAG_NAME, "body").text
    source = browser.page_source
    assert not re.search(r"\bben\b", text, re.IGNORECASE) and not re.search(r"\bben\b", source, re.IGNORECASE)
    bodies = response_bodies(browser)
    assert bodies, "the network log holds the API's answers"
    for url, body in bodies:
        assert not re.search(r"\bben\b", body), (url, body[:300])
        assert not any(number in body for number in bens_numbers), (url, body[:300])
    urls = requested_urls(browser)
    assert not [url for url in urls if "ben" in url or "/status" in url or "/export" in url or "/submissions?" in url]


def test_the_page_unit_parts(deployment, browser):
    """annotate-model.js, imported from a normal page: the submission built from shapes, the
    server's issue paths mapped back to shapes, the attribute defaults; and ui.js's lease clock."""
    sign_in(browser, deployment, "ana", "annotate.html")
    result = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        Promise.all([import('/app/js/annotate-model.js'), import('/app/js/ui.js')]).then(([model, ui]) => {
          const labels = model.labelsOf({labels: [
            {name: 'building', shapes: ['polygon'], attributes: [
              {name: 'roof', type: 'enum', values: ['flat', 'hip'], required: true},
              {name: 'occluded', type: 'boolean', default: false}]},
            {name: 'vehicle', shapes: ['bbox'], attributes: [{name: 'type', type: 'enum', values: ['car'], required: true}]}]});
          const byName = new Map(labels.map((label) => [label.name, label]));
          const shapes = [
            {id: 'a', label: 'vehicle', kind: 'box', ring: [[0,0],[10,0],[10,5],[0,5],[0,0]], attributes: {type: 'car', roof: 'hip'}},
            {id: 'b', label: 'building', kind: 'polygon', ring: [[0,0],[0,10],[10,10],[0,0]], attributes: {}}];
          const collection = model.featureCollection(shapes, byName);
          const issues = model.issuesByShape({issues: [
            {path: 'features[1].geometry', message: 'self-intersection', severity: 'error'},
            {path: 'features[1].properties.roof', message: 'roof is required', severity: 'error'},
            {path: 'features[0]', message: 'clockwise', severity: 'warning'},
            {path: 'type', message: 'file-wide', severity: 'error'}]}, shapes);
          done({
            kinds: labels.map((label) => label.shapes),
            features: collection.features.map((feature) => feature.properties),
            rings: collection.features.map((feature) => feature.geometry.coordinates[0]),
            issueShapes: issues.map((issue) => issue.shapeId),
            problems: model.problemsForTool(issues),
            missing: model.missingRequired(byName.get('building'), {}),
            value: [model.attributeValue({type: 'integer'}, '7'), model.attributeValue({type: 'enum'}, '')],
            clock: [ui.formatLeft(59_999), ui.formatLeft(3_725_000), ui.formatLeft(-5)],
          });
        });
    """)
    assert result["kinds"] == [["polygon"], ["box"]]
    # bbox for a box; attributes of another label dropped; defaults filled.
    assert result["features"] == [
        {"label": "vehicle", "shape": "bbox", "type": "car"},
        {"label": "building", "shape": "polygon", "occluded": False}]
    # Rings counter-clockwise on the map (pixel y points down): the box, drawn clockwise on the
    # screen, was turned round; the triangle already ran the right way.
    assert result["rings"][0] == [[0, 0], [0, 5], [10, 5], [10, 0], [0, 0]]
    assert result["rings"][1] == [[0, 0], [0, 10], [10, 10], [0, 0]]
    assert result["issueShapes"] == ["b", "b", "a", None]
    assert result["problems"] == [{"id": "b", "message": "self-intersection; roof is required"}]
    assert result["missing"] == ["roof"]
    assert result["value"] == [7, None]
    assert result["clock"] == ["0:59", "1:02:05", "0:00"]


def test_render_time_of_a_chip_with_500_shapes(deployment, browser):
    """Measured and printed, not asserted: a draft of 500 shapes loaded on a reload, then a pan."""
    task = leased_task(deployment)
    open_page(browser, deployment, "ana", task)
    take_next_chip(browser)
    shapes = []
    for index in range(500):
        x, y = 10 + (index % 25) * 20, 10 + (index // 25) * 24
        ring = [[x, y], [x + 14, y], [x + 16, y + 9], [x + 7, y + 18], [x, y + 12], [x, y]]
        shapes.append({"id": f"s{index}", "label": "building", "kind": "polygon", "ring": ring,
                       "attributes": {"roof": "flat"}})
    key = browser.execute_script(
        "return Object.keys(sessionStorage).find((key) => key.startsWith('swath.work.'))")
    work = json.loads(browser.execute_script(f"return sessionStorage.getItem('{key}')"))
    draft_key = f"swath.draft.ana.{task}.lease-{work['lease']['id']}"
    browser.execute_script("sessionStorage.setItem(arguments[0], arguments[1])", draft_key,
                           json.dumps({"task": task, "chip": work["chip"], "shapes": shapes}))
    browser.refresh()
    # When the count says 500 and the next frame is painted, in ms since the navigation began.
    shown = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const painted = () => requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now())));
        const count = document.getElementById('shape-count');
        if (count.textContent.startsWith('500 ')) return painted();
        new MutationObserver((_, observer) => {
          if (count.textContent.startsWith('500 ')) { observer.disconnect(); painted(); }
        }).observe(count, {childList: true, characterData: true, subtree: true});""")
    rect = chip_rect(browser)
    # Frame intervals while the map is dragged by real pointer events.
    browser.execute_script("""
        window.frames_ = []; let last = performance.now();
        const frame = (now) => { window.frames_.push(now - last); last = now; if (!window.stop_) requestAnimationFrame(frame); };
        requestAnimationFrame(frame);""")
    drag(browser, screen_point(rect, (600, 300))[0], screen_point(rect, (450, 200))[0], steps=15)
    frames = browser.execute_script("window.stop_ = true; return window.frames_.slice(1)")
    frames.sort()
    print(f"\n500 shapes: the chip with its draft painted {shown:.0f} ms after navigation; while panning, "
          f"median frame {frames[len(frames) // 2]:.1f} ms, slowest {frames[-1]:.1f} ms ({len(frames)} frames)")
    assert shape_count(browser) == 500


def test_a_reviewers_comment_on_an_invalidated_chip_goes_to_the_next_annotator(deployment, browser):
    task = leased_task(deployment)
    comment = "The garages behind the houses are missing."
    status, body = deployment.api(
        "rita", f"/tasks/{task}/chips/r0000_c0000/review", "POST", {"verdict": "invalidated", "comment": comment})
    assert status == 201, body
    open_page(browser, deployment, "ana", task)
    assert take_next_chip(browser) == "r0000_c0000"
    shown = browser.find_element(By.ID, "review-comment")
    assert shown.is_displayed() and comment in shown.text
    # Only the lease's first answer carries it: a reload keeps it from the tab.
    browser.refresh()
    wait_for(browser, lambda driver: chip_name(driver) == "r0000_c0000")
    wait_for(browser, lambda driver: comment in driver.find_element(By.ID, "review-comment").text)
    # The reviewer's name is not the annotator's business.
    assert "rita" not in browser.find_element(By.TAG_NAME, "body").text


def test_undo_redo_and_delete_from_the_buttons(deployment, browser):
    task = leased_task(deployment)
    open_page(browser, deployment, "ana", task)
    take_next_chip(browser)
    rect = chip_rect(browser)
    press(browser, "2")
    draw_box(browser, rect, (40, 40), (80, 70))
    wait_for(browser, lambda driver: shape_count(driver) == 1)
    browser.find_element(By.ID, "undo").click()
    wait_for(browser, lambda driver: shape_count(driver) == 0)
    browser.find_element(By.ID, "redo").click()
    wait_for(browser, lambda driver: shape_count(driver) == 1)
    # The redone box is selected again by a click on it; Delete removes it.
    click_at(browser, screen_point(rect, (60, 55))[0])
    wait_for(browser, lambda driver: driver.find_element(By.ID, "delete").is_enabled())
    browser.find_element(By.ID, "delete").click()
    wait_for(browser, lambda driver: shape_count(driver) == 0)
    # A label's key does not draw a shape its label does not allow: Building is polygons only.
    press(browser, "1")
    wait_for(browser, lambda driver: "active" in driver.find_element(By.ID, "draw-polygon").get_attribute("class"))
    assert "active" not in browser.find_element(By.ID, "draw-box").get_attribute("class")
