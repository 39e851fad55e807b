"""Helpers of the drawing tool's tests: a Leaflet map with a 512 px chip and a DrawingTool made on
a signed-in page (the tool is a module of the pages, imported as the pages import it), and real
pointer and key input through the W3C actions of chromedriver."""

import shutil

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from conftest import Deployment, run_swath, sign_in, start_server, wait_for

CHIP = 512

# The town's schema: a building is a polygon, a vehicle a box; `area` may be either.
LABELS = [
    {"name": "building", "display_name": "Building", "color": "#d0453a", "shapes": ["polygon"]},
    {"name": "vehicle", "display_name": "Vehicle", "color": "#2f7ed8", "shapes": ["box"]},
    {"name": "area", "display_name": "Area", "color": "#2ca02c", "shapes": ["polygon", "box"]},
]

SETUP = """
const [labels, chip, zoom, done] = arguments;
(async () => {
  const load = (node) => new Promise((ok, fail) => { node.onload = ok; node.onerror = fail; document.head.append(node); });
  if (!window.L) await load(Object.assign(document.createElement('script'), { src: '/vendor/leaflet/leaflet.js' }));
  for (const href of ['/vendor/leaflet/leaflet.css', '/app/css/draw.css']) {
    await load(Object.assign(document.createElement('link'), { rel: 'stylesheet', href }));
  }
  const div = document.createElement('div');
  div.id = 'drawing-test-map';
  div.style.cssText = 'position:fixed;left:0;top:0;width:800px;height:600px;z-index:10000;';
  document.body.append(div);
  const map = L.map(div, { crs: L.CRS.Simple, minZoom: -4, maxZoom: 6, zoomSnap: 0,
                           fadeAnimation: false, zoomAnimation: false });
  const canvas = Object.assign(document.createElement('canvas'), { width: chip, height: chip });
  const context = canvas.getContext('2d');
  const gradient = context.createLinearGradient(0, 0, chip, chip);
  gradient.addColorStop(0, '#556b2f');
  gradient.addColorStop(1, '#a0a0a0');
  context.fillStyle = gradient;
  context.fillRect(0, 0, chip, chip);
  L.imageOverlay(canvas.toDataURL(), [[-chip, 0], [0, chip]]).addTo(map);
  map.setView(L.latLng(-chip / 2, chip / 2), zoom, { animate: false });
  const { DrawingTool } = await import('/app/js/draw.js');
  const tool = new DrawingTool(map, { width: chip, height: chip, labels });
  window.drawingEvents = [];
  for (const type of ['change', 'select', 'mode', 'message']) {
    tool.addEventListener(type, (event) => window.drawingEvents.push({ type, detail: JSON.parse(JSON.stringify(event.detail)) }));
  }
  Object.assign(window, { map, tool });
  done(null);
})().catch((error) => done(String(error && error.stack || error)));
"""


def make_tool(driver, deployment, zoom=0):
    """Signs ana in, and puts a map (800 × 600 px at the page's top-left corner) with a 512 px
    chip and a DrawingTool on the page: `window.map`, `window.tool`, `window.drawingEvents`."""
    driver.get(f"{deployment.url}/app/")
    if driver.execute_script("return sessionStorage.getItem('swath.token')") != deployment.tokens["ana"]:
        sign_in(driver, deployment, "ana")
    wait_for(driver, EC.visibility_of_element_located((By.ID, "pages")))
    error = driver.execute_async_script(SETUP, LABELS, CHIP, zoom)
    assert error is None, error


def screen(driver, x, y):
    """The viewport point (CSS px) of chip pixel (x, y)."""
    return driver.execute_script(
        "const p = map.latLngToContainerPoint(L.latLng(-arguments[1], arguments[0]));"
        "const r = map.getContainer().getBoundingClientRect(); return [p.x + r.left, p.y + r.top];", x, y)


def _builder(driver):
    return ActionBuilder(driver, duration=50)


def _at(x, y):
    return round(x), round(y)


def click_chip(driver, *points, alt=False):
    """Clicks chip pixels one after another (real mouse presses)."""
    actions = _builder(driver)
    if alt:
        actions.key_action.key_down(Keys.ALT)
    for x, y in points:
        actions.pointer_action.move_to_location(*_at(*screen(driver, x, y)))
        actions.pointer_action.click()
        actions.pointer_action.pause(0.35)  # apart enough not to be a double-click
    if alt:
        actions.key_action.key_up(Keys.ALT)
    actions.perform()


def double_click_chip(driver, x, y):
    actions = _builder(driver)
    actions.pointer_action.move_to_location(*_at(*screen(driver, x, y)))
    actions.pointer_action.double_click()
    actions.perform()


def drag_chip(driver, start, end, steps=5):
    """Presses at chip pixel `start`, moves in steps to `end` and releases."""
    (x0, y0), (x1, y1) = screen(driver, *start), screen(driver, *end)
    drag_screen(driver, (x0, y0), (x1, y1), steps)


def drag_screen(driver, start, end, steps=5):
    actions = _builder(driver)
    actions.pointer_action.move_to_location(*_at(*start))
    actions.pointer_action.pointer_down()
    for step in range(1, steps + 1):
        t = step / steps
        actions.pointer_action.move_to_location(*_at(start[0] + t * (end[0] - start[0]), start[1] + t * (end[1] - start[1])))
    actions.pointer_action.pointer_up()
    actions.perform()


def press(driver, *keys):
    ActionChains(driver).send_keys(*keys).perform()


def shapes(driver):
    return driver.execute_script("return JSON.parse(JSON.stringify(tool.shapes))")


def events(driver, type=None):
    found = driver.execute_script("return window.drawingEvents")
    return [event["detail"] for event in found if type is None or event["type"] == type]


def clear_events(driver):
    driver.execute_script("window.drawingEvents.length = 0")


def ring_near(ring, expected, tolerance=1.0):
    return len(ring) == len(expected) and all(
        abs(a[0] - b[0]) <= tolerance and abs(a[1] - b[1]) <= tolerance for a, b in zip(ring, expected))


@pytest.fixture(scope="module")
def signed_in_server(tmp_path_factory):
    """The tool needs a signed-in page and nothing of a task: one workspace with one annotator
    and one `swath serve` for a whole test module, so each test only pays for a page load."""
    folder = tmp_path_factory.mktemp("drawing") / "workspace"
    run_swath("init", folder)
    tokens = {"ana": run_swath("user", "add", "ana", "--role", "annotator", workspace=folder)}
    process, url, log = start_server(folder)
    deployment = Deployment(folder=folder, url=url, tokens=tokens, process=process, log=log)
    yield deployment
    deployment.stop()
    server_errors = [line for line in log.read_text().splitlines() if "status=5" in line]
    assert not server_errors, f"server errors: {server_errors[:5]}"


@pytest.fixture(scope="module")
def module_browser():
    """Headless Chromium as conftest's `browser`, kept for a test module."""
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,900",
                     "--disable-gpu", "--no-first-run", "--disable-extensions", "--disable-background-networking"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture
def tool_page(signed_in_server, module_browser):
    """A fresh page with a map and a DrawingTool on it."""
    make_tool(module_browser, signed_in_server)
    return module_browser
