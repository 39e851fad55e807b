"""The reviewer's page, more: n gives an undecided object back and shows another one; m draws an
object every annotator missed with real pointer events, a refused shape is marked where the
server located the problem, and the added object is stored and exported where it was drawn."""

import json
import time

from selenium.webdriver.common.action_chains import ActionBuilder
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

import test_review as page
from conftest import screenshot, sign_in, wait_for
from review_support import chip_frame, prepare_review, review_objects


def message_with(browser, text):
    return wait_for(browser, lambda d: text in (page.text_of(d, "message") or "") and page.text_of(d, "message"))


def test_n_gives_an_undecided_object_back_and_shows_another(deployment, town, browser):
    prepare_review(deployment, town)
    deployment.tokens["rex"] = deployment.swath("user", "add", "rex", "--role", "reviewer")
    sign_in(browser, deployment, "rita", "review.html?task=town")
    first = page.shown_object(browser)
    keys = browser.find_element(By.CSS_SELECTOR, ".keys").text
    assert "n next object (this one goes back undecided)" in keys and "m add an object everyone missed" in keys

    page.press(browser, "n")
    second = page.shown_object(browser, previous=first)
    assert second != first
    assert f"Object {first} given back undecided" in message_with(browser, "given back undecided")
    # The first stays undecided in the store and is back in the queue at once: rex gets it.
    assert all(o["decision"] is None for o in review_objects(deployment)["objects"])
    status, taken = deployment.api("rex", "/tasks/town/review/next", "POST")
    assert status == 200 and taken["id"] == first, taken

    # Rex holds the first: rita's n gives the second back and is offered it again, said so.
    page.press(browser, "n")
    assert f"Object {second} is the only one left for you" in message_with(browser, "only one left")
    assert page.text_of(browser, "object-id") == second
    # Rex gives his back: rita's n now shows the first again, still undecided.
    status, released = deployment.api("rex", f"/tasks/town/review/leases/{taken['lease']['id']}/release", "POST")
    assert status == 200 and released["object"] == first and released["reviewer"] == "rex", released
    page.press(browser, "n")
    assert page.shown_object(browser, previous=second) == first
    # A decision still works after the skips.
    page.press(browser, "a")
    assert "accepted" in page.outcome(browser)
    decided = {o["id"]: o["decision"] for o in review_objects(deployment)["objects"] if o["decision"]}
    assert list(decided) == [first] and decided[first]["reviewer"] == "rita"
    assert decided[first]["decision"] == "accept"


def visible_chip_box(browser, view):
    """The chip image on the page: its rect, screen px per chip px, and the chip pixels that the
    map shows (x0, y0, x1, y1)."""
    script = ("return [document.querySelector('.leaflet-image-layer').getBoundingClientRect().toJSON(),"
              " document.getElementById('map').getBoundingClientRect().toJSON()]")
    # The map may still be zooming to the object: wait until the image stays put.
    rects = [browser.execute_script(script)]

    def settled(driver):
        time.sleep(0.3)
        rects.append(driver.execute_script(script))
        return rects[-1] == rects[-2]
    wait_for(browser, settled)
    image, shown = rects[-1]
    scale = image["width"] / view["width"]
    box = (max(0, (shown["left"] - image["left"]) / scale), max(0, (shown["top"] - image["top"]) / scale),
           min(view["width"], (shown["right"] - image["left"]) / scale),
           min(view["height"], (shown["bottom"] - image["top"]) / scale))
    return image, scale, box


def click_polygon(browser, image, scale, points):
    """Clicks chip pixels one after another with real mouse presses; returns the chip pixels the
    clicks landed on (screen px are whole numbers)."""
    actions = ActionBuilder(browser, duration=50)
    landed = []
    for x, y in points:
        sx, sy = round(image["left"] + x * scale), round(image["top"] + y * scale)
        landed.append(((sx - image["left"]) / scale, (sy - image["top"]) / scale))
        actions.pointer_action.move_to_location(sx, sy)
        actions.pointer_action.click()
        actions.pointer_action.pause(0.35)  # apart enough not to be a double-click
    actions.perform()
    return landed


def choose_building_and_draw(browser, image, scale, points):
    page.press(browser, "m")
    dialog = wait_for(browser, EC.visibility_of_element_located((By.ID, "missed-dialog")))
    assert "Building (polygon)" in dialog.text and "Vehicle (box)" in dialog.text
    page.press(browser, "1")
    message_with(browser, "Draw the missed building")
    landed = click_polygon(browser, image, scale, points)
    page.press(browser, "\ue007")  # Enter closes the polygon; the building's required roof is asked
    wait_for(browser, EC.visibility_of_element_located((By.ID, "attributes-dialog")))
    assert browser.execute_script("return document.activeElement.name") == "roof"
    page.press(browser, "g")  # the select's type-ahead: gable
    page.press(browser, "\ue007")
    return landed


def test_reviewer_adds_a_missed_building_drawn_with_real_pointer_events(deployment, town, browser):
    work = prepare_review(deployment, town)
    chip = work["chip"]
    sign_in(browser, deployment, "rita", "review.html?task=town")
    page.shown_object(browser)
    status, view = deployment.api("rita", f"/tasks/town/chips/{chip}/review")
    assert status == 200, view
    image, scale, (x0, y0, x1, y1) = visible_chip_box(browser, view)
    at = lambda fx, fy: (x0 + fx * (x1 - x0), y0 + fy * (y1 - y0))  # noqa: E731

    # A polygon that crosses itself: the server refuses it (422) and the page marks it there.
    choose_building_and_draw(browser, image, scale, [at(0.15, 0.15), at(0.35, 0.3), at(0.35, 0.15), at(0.15, 0.3)])
    said = message_with(browser, "The server refused the shape")
    assert "Enter sends it again" in said
    # The server's own message replaces the tool's hint at the shape (Leaflet fades the hint out
    # for a moment first), placed where the server located the crossing.
    problem = wait_for(browser, lambda d: (lambda texts: texts[0] if len(texts) == 1 else False)(d.execute_script(
        "return [...document.querySelectorAll('.swath-problem')].map((node) => node.textContent)")))
    assert "Self-intersection" in problem and "the server will refuse it" not in problem, problem
    assert review_objects(deployment)["added"] == []
    page.press(browser, "\ue00c")  # Escape
    message_with(browser, "Nothing added")

    # A building everyone missed: four clicks, Enter, its roof; sent in chip pixels.
    image, scale, _ = visible_chip_box(browser, view)
    corners = [at(0.12, 0.12), at(0.3, 0.14), at(0.28, 0.3), at(0.1, 0.27)]
    landed = choose_building_and_draw(browser, image, scale, corners)
    said = message_with(browser, "Added #")
    assert f"the missed building on chip {chip}, recorded by rita" in said
    listed = page.text_of(browser, "added")
    assert listed.startswith("#") and "building (" in listed and "roof gable" in listed and chip in listed, listed
    # The added building stays on the map (the drawing tool is emptied for the next shape).
    assert browser.execute_script("return document.querySelectorAll('path.added-shape').length") == 1
    assert browser.execute_script("return document.querySelectorAll('path.swath-problem, .swath-problem').length") == 0
    screenshot(browser, "review-missed")

    added = review_objects(deployment)["added"]
    assert len(added) == 1, added
    record = added[0]
    assert (record["decision"], record["label"], record["reviewer"], record["attributes"]["roof"]) == (
        "add", "building", "rita", "gable")
    geometry = record["geometry"]
    ring = geometry["coordinates"][0] if geometry["type"] == "Polygon" else geometry["coordinates"][0][0]
    to_lonlat = chip_frame(deployment, chip)
    pixel = abs(to_lonlat(1, 0)[0] - to_lonlat(0, 0)[0])  # one chip pixel in degrees of longitude
    # Every vertex where it was clicked, within a pixel; no other vertex.
    assert len(ring) == 5
    for x, y in landed:
        lon, lat = to_lonlat(x, y)
        assert any(abs(p[0] - lon) < pixel and abs(p[1] - lat) < pixel for p in ring), (ring, (x, y))

    # The export holds it as rita's addition, where she drew it.
    status, exported = deployment.api("lena", "/tasks/town/export")
    assert status == 200
    layer = exported if isinstance(exported, dict) else json.loads(exported)
    additions = [f for f in layer["features"] if f["properties"].get("decision") == "add"]
    assert len(additions) == 1
    properties = additions[0]["properties"]
    assert (properties["review_state"], properties["reviewer"], properties["label"], properties["roof"]) == (
        "added", "rita", "building", "gable")
    exported_geometry = additions[0]["geometry"]
    exported_ring = (exported_geometry["coordinates"][0] if exported_geometry["type"] == "Polygon"
                     else exported_geometry["coordinates"][0][0])
    for x, y in landed:
        lon, lat = to_lonlat(x, y)
        assert any(abs(p[0] - lon) < pixel and abs(p[1] - lat) < pixel for p in exported_ring)
