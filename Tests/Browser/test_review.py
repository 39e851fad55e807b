"""The reviewer's page: the next object over its chip with the annotators as anonymous letters,
decisions from real keyboard events, the export showing them, chip validation with a comment,
an expired lease said and a conflicting decision shown."""

import json
import re
import time

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from conftest import response_bodies, screenshot, sign_in, wait_for
from drawing_support import drag_screen
from review_support import chip_frame, object_near, prepare_review, review_objects

NAMES = re.compile(r"\b(ana|ben)\b")


def press(browser, keys):
    ActionChains(browser).send_keys(keys).perform()


def text_of(browser, element_id):
    """The text of an element by id, read in the page (the side panel is redrawn as it changes)."""
    return browser.execute_script(
        "const node = document.getElementById(arguments[0]); return node ? node.innerText : null;", element_id)


def shown_object(browser, previous=None):
    """Waits until the page shows an object (other than `previous`) over its chip image and
    returns its id."""
    def ready(driver):
        shown = text_of(driver, "object-id")
        if not shown or shown == previous:
            return False
        return shown if driver.execute_script("return !!document.querySelector('.leaflet-image-layer')") else False
    return wait_for(browser, ready)


def outcome(browser):
    return wait_for(browser, lambda d: text_of(d, "outcome") or False)


def review_fields(layer):
    """(decision, reason, reviewer, status) of each decided object of an exported layer."""
    return [(f["properties"]["decision"], f["properties"]["reason"], f["properties"]["reviewer"], f["properties"]["status"])
            for f in layer["features"] if f["properties"].get("decision")]


def letters_on_map(browser):
    return sorted(browser.execute_script(
        "return [...document.querySelectorAll('.letter-tooltip')].map((node) => node.textContent)"))


def test_reviewer_accepts_and_rejects_with_letters_never_names(deployment, town, browser):
    work = prepare_review(deployment, town)
    listing = review_objects(deployment)
    only_ana = object_near(listing, work["only_ana"])
    differ = object_near(listing, work["differ"])
    needing = sorted(o["id"] for o in listing["objects"] if o["state"] == "needs_review")
    assert needing == sorted([only_ana, differ])

    sign_in(browser, deployment, "rita", "review.html?task=town")
    seen = {}
    first = shown_object(browser)
    seen[first] = letters_on_map(browser)
    # Both annotators answered the chip: two letters in the legend whatever the object.
    assert browser.execute_script(
        "return [...document.querySelectorAll('#letters li[data-letter]')].map((li) => li.dataset.letter)") == ["A", "B"]
    assert re.fullmatch(r"Lease: (1:59:\d\d|2:00:00) left", text_of(browser, "lease"))
    side = browser.find_element(By.ID, "side").text
    assert "null" not in side and "undefined" not in side, side
    screenshot(browser, "review")

    press(browser, "a")
    assert "accepted" in outcome(browser)
    started = time.perf_counter()
    press(browser, "n")
    second = shown_object(browser, previous=first)
    # Measured, not asserted: the lease, the chip view and the chip image, drawn.
    print(f"review: next object shown {1000 * (time.perf_counter() - started):.0f} ms after n")
    seen[second] = letters_on_map(browser)
    press(browser, "r")
    dialog = wait_for(browser, EC.visibility_of_element_located((By.ID, "reject-dialog")))
    assert "Not an object" in dialog.text and "Duplicate" in dialog.text
    press(browser, "1")
    assert "rejected (not_an_object)" in outcome(browser)

    # The object only ana drew shows one letter on the map; the one both drew shows two.
    assert sorted([first, second]) == sorted([only_ana, differ])
    assert len(seen[only_ana]) == 1 and seen[only_ana][0] in ("A", "B")
    assert seen[differ] == ["A", "B"]

    # No name of an annotator in the page or in anything the API sent it.
    assert not NAMES.search(browser.find_element(By.TAG_NAME, "body").text)
    assert not NAMES.search(browser.page_source)
    bodies = response_bodies(browser)
    assert any("/review" in url for url, _ in bodies)
    for url, body in bodies:
        assert not NAMES.search(body), (url, body[:300])

    # The decisions as stored and exported.
    decided = {o["id"]: o["decision"] for o in review_objects(deployment)["objects"] if o["decision"]}
    assert decided[first]["decision"] == "accept" and decided[first]["reviewer"] == "rita"
    assert decided[second]["decision"] == "reject" and decided[second]["reason"] == "not_an_object"
    # The API's export holds the accepted objects; the CLI's with --include-rejected the rejected too.
    status, exported = deployment.api("lena", "/tasks/town/export")
    assert status == 200
    layer = exported if isinstance(exported, dict) else json.loads(exported)
    assert sorted(review_fields(layer)) == [("accept", None, "rita", "accepted")]
    out = deployment.folder / "final.geojson"
    deployment.swath("export", "town", "--out", out, "--include-rejected")
    assert sorted(review_fields(json.loads(out.read_text()))) == [
        ("accept", None, "rita", "accepted"), ("reject", "not_an_object", "rita", "rejected")]

    # Nothing more needs rita's review.
    press(browser, "n")
    wait_for(browser, lambda d: "No object" in (text_of(d, "empty") or ""))


def test_reviewer_edits_the_geometry_with_the_drawing_tool(deployment, town, browser):
    work = prepare_review(deployment, town)
    sign_in(browser, deployment, "rita", "review.html?task=town")
    shown = shown_object(browser)
    status, view = deployment.api("rita", f"/tasks/town/chips/{work['chip']}/review")
    consensus = next(o for o in view["objects"] if o["id"] == shown)
    vertex = consensus["pixels"][0][0][0]
    press(browser, "e")
    wait_for(browser, lambda d: (text_of(d, "message") or "").startswith(f"Editing {shown}"))
    # The vertex on screen, from the chip image's place on the page; dragged 40 screen px east.
    rect = browser.execute_script("return document.querySelector('.leaflet-image-layer').getBoundingClientRect().toJSON()")
    scale = rect["width"] / view["width"]
    start = (rect["left"] + vertex[0] * scale, rect["top"] + vertex[1] * scale)
    drag_screen(browser, start, (start[0] + 40, start[1]), steps=8)
    press(browser, "\ue007")
    assert "geometry replaced" in outcome(browser)

    decision = next(o for o in review_objects(deployment)["objects"] if o["id"] == shown)["decision"]
    assert decision["decision"] == "geometry" and decision["reviewer"] == "rita"
    ring = decision["geometry"]["coordinates"][0] if decision["geometry"]["type"] == "Polygon" else decision["geometry"]["coordinates"][0][0]
    to_lonlat = chip_frame(deployment, work["chip"])
    moved = to_lonlat(vertex[0] + 40 / scale, vertex[1])
    pixel = abs(to_lonlat(1, 0)[0] - to_lonlat(0, 0)[0])  # one chip pixel in degrees of longitude
    unmoved = [to_lonlat(*p) for p in consensus["pixels"][0][0][1:-1]]
    # The dragged vertex where it was dropped (within a pixel and a half), the others where they were.
    assert any(abs(p[0] - moved[0]) < 1.5 * pixel and abs(p[1] - moved[1]) < 1.5 * pixel for p in ring), (ring, moved)
    for point in unmoved:
        assert any(abs(p[0] - point[0]) < 1.5 * pixel and abs(p[1] - point[1]) < 1.5 * pixel for p in ring), (ring, point)
    # and nothing left where it was (nearer than half the drag).
    was = to_lonlat(*vertex)
    assert not any(abs(p[0] - was[0]) < 20 / scale * pixel and abs(p[1] - was[1]) < 1.5 * pixel for p in ring)


def test_attributes_and_relabel_from_the_keyboard(deployment, town, browser):
    prepare_review(deployment, town)
    sign_in(browser, deployment, "rita", "review.html?task=town")
    first = shown_object(browser)
    press(browser, "t")
    # The form of the building's schema: roof (required enum) and occluded (boolean), as they are now.
    dialog = wait_for(browser, EC.visibility_of_element_located((By.ID, "attributes-dialog")))
    assert "roof *" in dialog.text and "occluded" in dialog.text
    assert browser.execute_script("return document.activeElement.name") == "roof"
    press(browser, "f")  # the select's type-ahead: flat
    press(browser, "\ue007")
    assert "attributes set" in outcome(browser) and "roof flat" in text_of(browser, "outcome")
    press(browser, "n")
    second = shown_object(browser, previous=first)
    press(browser, "l")
    dialog = wait_for(browser, EC.visibility_of_element_located((By.ID, "relabel-dialog")))
    assert "Vehicle" in dialog.text and "Building" not in dialog.text
    press(browser, "1")
    assert "relabelled vehicle" in outcome(browser)
    decided = {o["id"]: o["decision"] for o in review_objects(deployment)["objects"] if o["decision"]}
    assert decided[first]["decision"] == "attributes" and decided[first]["attributes"]["roof"] == "flat"
    assert decided[second]["decision"] == "relabel" and decided[second]["label"] == "vehicle"

    # A token that stops working mid-session is said, with the way back to sign-in.
    deployment.swath("user", "disable", "rita")
    press(browser, "n")
    message = wait_for(browser, lambda d: "no longer accepted" in (text_of(d, "message") or "") and text_of(d, "message"))
    assert "Sign in again" in message


def test_chip_validation_with_a_comment_is_stored(deployment, town, browser):
    work = prepare_review(deployment, town)
    sign_in(browser, deployment, "rita", "review.html?task=town&mode=chips")
    chip = wait_for(browser, lambda d: text_of(d, "chip-id"))
    assert chip == work["chip"]
    # Every shape of the chip under its letter: ana drew five, ben four.
    wait_for(browser, lambda d: len(letters_on_map(d)) == 9)
    assert letters_on_map(browser) == ["A"] * 5 + ["B"] * 4 or letters_on_map(browser) == ["A"] * 4 + ["B"] * 5
    screenshot(browser, "review-chip")
    press(browser, "i")
    text = wait_for(browser, EC.visibility_of_element_located((By.CSS_SELECTOR, "#comment-dialog textarea")))
    # An invalidation needs a comment: Enter on an empty one is refused on the page.
    press(browser, "\ue007")
    assert "Write a comment for the next annotator first" in browser.find_element(By.ID, "comment-dialog").text
    text.send_keys("The garages on the east side are missing")
    press(browser, "\ue007")
    assert "invalidated" in outcome(browser)
    reviews = review_objects(deployment)["chip_reviews"]
    assert [(r["chip"], r["verdict"], r["comment"], r["reviewer"]) for r in reviews] == [
        (chip, "invalidated", "The garages on the east side are missing", "rita")]
    assert not NAMES.search(browser.page_source)


def test_expired_lease_is_said_and_decisions_taken_first_or_replaced_are_shown(deployment, town, browser):
    # A task of its own whose review leases last the shortest lease time there is, a minute.
    deployment.swath(
        "task", "create", "--image", "town", "--region", "all", "--labels-file", town / "labels.json",
        "--chip-size", 512, "--overlap", 0, "--replicas", 2, "--name", "quick", "--lease-time", "1m", "--quiet")
    deployment.swath("task", "assign", "quick", "--annotators", "ana,ben")
    deployment.tokens["rex"] = deployment.swath("user", "add", "rex", "--role", "reviewer")
    prepare_review(deployment, town, task="quick")

    sign_in(browser, deployment, "rita", "review.html?task=quick")
    first = shown_object(browser)
    lease = wait_for(browser, lambda d: "expired" in (text_of(d, "lease") or "") and text_of(d, "lease"), timeout=90)
    assert "another reviewer may take this object" in lease

    # Rex leases the same object now that rita's lease ran out, and decides it first.
    status, taken = deployment.api("rex", "/tasks/quick/review/next", "POST")
    assert status == 200 and taken["id"] == first
    status, record = deployment.api("rex", f"/tasks/quick/review/objects/{first}/decisions", "POST", {"decision": "accept"})
    assert status == 201, record

    press(browser, "a")
    said = outcome(browser)
    assert said.startswith("Not recorded") and "already decided" in said and "rex" in said
    assert "already decided" in browser.find_element(By.ID, "message").text
    decided = {o["id"]: o["decision"] for o in review_objects(deployment, "quick")["objects"] if o["decision"]}
    assert decided[first]["reviewer"] == "rex"

    # The next object; then a new consensus run replaces it before rita decides.
    press(browser, "n")
    second = shown_object(browser, previous=first)
    deployment.swath("consensus", "quick")
    press(browser, "r")
    wait_for(browser, EC.visibility_of_element_located((By.ID, "reject-dialog")))
    press(browser, "2")
    said = outcome(browser)
    assert said.startswith("Not recorded") and f"object {second} belongs to consensus run" in said and "replaced" in said
    assert all(o["decision"] is None or o["decision"]["reviewer"] == "rex" for o in review_objects(deployment, "quick")["objects"])
