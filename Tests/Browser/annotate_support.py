"""Helpers of the annotator page's tests: a leased task, the chip's place on the screen, real
pointer gestures on it, and what the store holds, converted back to chip pixels."""

import json
import sqlite3
import subprocess
import time
from datetime import datetime, timedelta, timezone

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from conftest import sign_in, wait_for

INSTRUCTIONS = "Outline every roof along its eaves.\nBox every vehicle; parked or moving."


def leased_task(deployment, name="leased", lease_time="1h", region="all", replicas=2):
    """A task over the town with the town's label schema that gives its chips out by lease, with
    instructions."""
    schema = deployment.folder / "labels.json"
    if not schema.exists():
        status, document = deployment.api("lena", "/tasks/town/labels")
        assert status == 200, document
        schema.write_text(json.dumps(document))
    deployment.swath(
        "task", "create", "--image", "town", "--region", region, "--labels-file", schema, "--chip-size", 512,
        "--overlap", 0, "--replicas", replicas, "--name", name, "--distribution", "leased", "--lease-time",
        lease_time, "--instructions", INSTRUCTIONS, "--quiet")
    return name


def open_page(browser, deployment, user, task):
    sign_in(browser, deployment, user, f"annotate.html?task={task}")
    wait_for(browser, EC.text_to_be_present_in_element_value((By.ID, "task"), task))


def take_next_chip(browser):
    """Presses "Next chip" and waits for the chip and its image; returns the chip id."""
    previous = chip_name(browser)
    browser.find_element(By.ID, "next").click()
    wait_for(browser, lambda driver: chip_name(driver) and chip_name(driver) != previous)
    wait_for_chip_image(browser)
    return chip_name(browser)


def chip_name(browser):
    found = browser.find_elements(By.ID, "chip-name")
    return found[0].text if found else None


def wait_for_chip_image(browser):
    wait_for(browser, lambda driver: driver.execute_script(
        "const image = document.querySelector('.leaflet-image-layer:not(.chip-context)');"
        "return image && image.complete && image.naturalWidth > 0"))
    time.sleep(0.3)  # Leaflet's fitBounds settles


def chip_rect(browser):
    """Where chip pixel (0, 0) is on the screen and how many screen px one chip px is."""
    return browser.execute_script(
        "const image = document.querySelector('.leaflet-image-layer:not(.chip-context)');"
        "const box = image.getBoundingClientRect();"
        "return {left: box.left, top: box.top, scale: box.width / image.naturalWidth,"
        " width: image.naturalWidth, height: image.naturalHeight};")


def screen_point(rect, pixel):
    """The whole screen point nearest to chip pixel `pixel`, and the chip pixel it really is."""
    x = round(rect["left"] + pixel[0] * rect["scale"])
    y = round(rect["top"] + pixel[1] * rect["scale"])
    return (x, y), ((x - rect["left"]) / rect["scale"], (y - rect["top"]) / rect["scale"])


def _pointer(browser):
    chain = ActionChains(browser, duration=50)
    return chain, chain.w3c_actions.pointer_action


def click_at(browser, point):
    chain, pointer = _pointer(browser)
    pointer.move_to_location(*point)
    pointer.click()
    chain.perform()


def drag(browser, start, end, steps=6):
    chain, pointer = _pointer(browser)
    pointer.move_to_location(*start)
    pointer.pointer_down()
    for step in range(1, steps + 1):
        pointer.move_to_location(
            round(start[0] + (end[0] - start[0]) * step / steps), round(start[1] + (end[1] - start[1]) * step / steps))
    pointer.pointer_up()
    chain.perform()


def press(browser, *keys):
    chain = ActionChains(browser)
    for key in keys:
        chain.send_keys(key)
    chain.perform()


def draw_box(browser, rect, a, b):
    """Drags a box from chip pixel a to b; returns the two chip pixels really pressed."""
    start, real_a = screen_point(rect, a)
    end, real_b = screen_point(rect, b)
    drag(browser, start, end)
    return real_a, real_b


def draw_polygon(browser, rect, pixels):
    """Clicks the vertices (slowly enough not to be a double-click) and presses Enter."""
    real = []
    for pixel in pixels:
        point, actual = screen_point(rect, pixel)
        click_at(browser, point)
        real.append(actual)
        time.sleep(0.6)
    press(browser, Keys.ENTER)
    return real


def shape_count(browser):
    return int(browser.find_element(By.ID, "shape-count").text.split()[0])


def choose(browser, attribute, value):
    """Picks an enum value in the selected shape's attribute form."""
    from selenium.webdriver.support.ui import Select
    Select(wait_for(browser, EC.element_to_be_clickable((By.ID, f"attribute-{attribute}")))).select_by_value(value)


def message(browser):
    return browser.find_element(By.ID, "message").text


def database(deployment):
    return sqlite3.connect(deployment.folder / "swath.sqlite")


def stored_shapes(deployment, annotator, task, chip):
    """The current accepted shapes of `annotator` on `chip`: (label, shape, ring in WGS84, attributes)."""
    with database(deployment) as db:
        rows = db.execute(
            "SELECT f.label, f.shape, f.geometry, f.attributes FROM submission_features f"
            " JOIN submissions s ON s.id = f.submission_id JOIN chips c ON c.id = s.chip_id"
            " JOIN tasks t ON t.id = s.task_id"
            " WHERE s.annotator = ? AND t.name = ? AND c.chip_key = ? AND s.status = 'accepted'"
            " ORDER BY f.feature_index", (annotator, task, chip)).fetchall()
    return [(label, shape, json.loads(geometry)["coordinates"][0], json.loads(attributes or "{}"))
            for label, shape, geometry, attributes in rows]


def submissions(deployment, annotator, task):
    with database(deployment) as db:
        return db.execute(
            "SELECT c.chip_key, s.status, s.raw, (SELECT count(*) FROM submission_features f"
            " WHERE f.submission_id = s.id) FROM submissions s JOIN chips c ON c.id = s.chip_id"
            " JOIN tasks t ON t.id = s.task_id WHERE s.annotator = ? AND t.name = ? ORDER BY s.id",
            (annotator, task)).fetchall()


def flags(deployment, task):
    with database(deployment) as db:
        return db.execute(
            "SELECT c.chip_key, f.annotator, f.kind, f.comment FROM chip_flags f JOIN chips c ON c.id = f.chip_id"
            " JOIN tasks t ON t.id = f.task_id WHERE t.name = ? ORDER BY f.id", (task,)).fetchall()


def to_chip_pixels(deployment, task, chip, lonlats):
    """WGS84 positions → the scene's CRS (gdaltransform, GDAL's own PROJ) → chip pixels through
    the chip's geotransform, as the analyst's API gives it."""
    status, details = deployment.api("lena", f"/tasks/{task}/chips/{chip}")
    assert status == 200, details
    status, images = deployment.api("lena", "/images")
    epsg = images[0]["epsg"]
    text = "\n".join(f"{lon!r} {lat!r}" for lon, lat in lonlats) + "\n"
    done = subprocess.run(["gdaltransform", "-s_srs", "EPSG:4326", "-t_srs", f"EPSG:{epsg}"],
                          input=text, capture_output=True, text=True, check=True)
    ox, pw, rr, oy, cr, ph = details["geotransform"]
    assert rr == 0 and cr == 0
    pixels = []
    for line in done.stdout.strip().splitlines():
        x, y = map(float, line.split()[:2])
        pixels.append(((x - ox) / pw, (y - oy) / ph))
    return pixels


def same_ring(expected, stored_pixels, tolerance=1.0):
    """Every expected vertex has a stored vertex within `tolerance` chip px and the counts agree
    (the closing position left out), whatever the ring's start and direction."""
    stored = stored_pixels[:-1] if stored_pixels[0] == stored_pixels[-1] else stored_pixels
    if len(stored) != len(expected):
        return False
    return all(min(max(abs(sx - ex), abs(sy - ey)) for sx, sy in stored) <= tolerance for ex, ey in expected)


def expire_soon(deployment, seconds):
    """Moves the end of every running lease to `seconds` from now (as if it had been taken long ago)."""
    moment = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    with database(deployment) as db:
        db.execute("UPDATE leases SET expires_at = ? WHERE ended_at IS NULL", (text,))
