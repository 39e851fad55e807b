"""Fixtures of the browser tests: a real workspace made with the `swath` command, a real
`swath serve` on a loopback port, and Debian's headless Chromium driven by Selenium.

Run through `swift test` (BrowserTests.swift runs pytest with SWATH_BINARY set), or by hand:
    SWATH_BINARY=.build/debug/swath tools/.venv-browser/bin/python -m pytest Tests/Browser
"""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "out" / "screenshots"


def swath_binary() -> Path:
    return Path(os.environ.get("SWATH_BINARY", ROOT / ".build" / "debug" / "swath"))


def run_swath(*arguments, workspace=None) -> str:
    command = [str(swath_binary()), *map(str, arguments)]
    if workspace is not None:
        command += ["--workspace", str(workspace)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"swath {' '.join(map(str, arguments))} failed: {done.stderr.strip()}")
    return done.stdout.strip()


@pytest.fixture(scope="session")
def town(tmp_path_factory) -> Path:
    """The sample town at 1024 px (four 512 px chips), with its truth and label schema."""
    folder = tmp_path_factory.mktemp("town")
    run_swath("scene", folder, "--size", 1024)
    return folder


@dataclass
class Deployment:
    """A workspace with a task on the town and `swath serve` running over it."""

    folder: Path
    url: str
    tokens: dict
    task: str = "town"
    process: subprocess.Popen = None
    log: Path = None

    def swath(self, *arguments) -> str:
        return run_swath(*arguments, workspace=self.folder)

    def api(self, user, path, method="GET", body=None, content_type="application/json"):
        """Calls the API as `user`; returns (status, parsed JSON or bytes)."""
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        request = urllib.request.Request(f"{self.url}/api/v1{path}", data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.tokens[user]}")
        if data is not None:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                payload, status, kind = response.read(), response.status, response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            payload, status, kind = error.read(), error.code, error.headers.get("Content-Type", "")
        return status, (json.loads(payload) if "json" in kind and payload else payload)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


USERS = {"lena": "analyst", "ana": "annotator", "ben": "annotator", "rita": "reviewer", "root": "admin"}


def start_server(folder: Path) -> tuple:
    output = folder / "serve.out"
    log = folder / "serve.err"
    process = subprocess.Popen(
        [str(swath_binary()), "serve", "--workspace", str(folder), "--port", "0"],
        stdout=output.open("w"), stderr=log.open("w"))
    deadline = time.time() + 60
    while time.time() < deadline and process.poll() is None:
        match = re.search(r"http://127\.0\.0\.1:\d+", output.read_text())
        if match:
            return process, match.group(0), log
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"swath serve printed no address: {log.read_text()}")


@pytest.fixture
def deployment(town, tmp_path):
    """A fresh workspace per test: users lena (analyst), ana and ben (annotators), rita
    (reviewer), root (admin); the town registered as `town`; task `town` over all of it with the
    town's label schema, 512 px chips, no overlap, 2 replicas, assigned to ana and ben."""
    folder = tmp_path / "workspace"
    run_swath("init", folder)
    tokens = {name: run_swath("user", "add", name, "--role", role, workspace=folder) for name, role in USERS.items()}
    run_swath("image", "add", town / "town.tif", "--name", "town", workspace=folder)
    run_swath(
        "task", "create", "--image", "town", "--region", "all", "--labels-file", town / "labels.json",
        "--chip-size", 512, "--overlap", 0, "--replicas", 2, "--name", "town", "--quiet", workspace=folder)
    run_swath("task", "assign", "town", "--annotators", "ana,ben", workspace=folder)
    process, url, log = start_server(folder)
    deployment = Deployment(folder=folder, url=url, tokens=tokens, process=process, log=log)
    yield deployment
    deployment.stop()
    server_errors = [line for line in log.read_text().splitlines() if "status=5" in line]
    assert not server_errors, f"server errors: {server_errors[:5]}"


@pytest.fixture
def browser():
    """Headless Chromium with its network log recorded (performance log)."""
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,900",
                     "--disable-gpu", "--no-first-run", "--disable-extensions", "--disable-background-networking"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


def sign_in(driver, deployment, user, page=""):
    """Opens the sign-in page, pastes `user`'s token, then opens `page` (e.g. annotate.html)."""
    driver.get(f"{deployment.url}/app/")
    field = WebDriverWait(driver, 20).until(EC.visibility_of_element_located((By.ID, "token")))
    field.send_keys(deployment.tokens[user])
    driver.find_element(By.CSS_SELECTOR, "#sign-in-form button[type=submit]").click()
    WebDriverWait(driver, 20).until(EC.visibility_of_element_located((By.ID, "pages")))
    if page:
        driver.get(f"{deployment.url}/app/{page}")


def requested_urls(driver) -> list:
    """Every URL the page asked the network for since the last read of Chromium's performance
    log (reading it empties it)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def response_bodies(driver) -> list:
    """The bodies of the API answers the page received (for checks of what a user could learn)."""
    bodies = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") != "Network.responseReceived":
            continue
        response = message["params"]["response"]
        if "/api/v1/" not in response["url"] or "json" not in response.get("mimeType", ""):
            continue
        try:
            body = driver.execute_cdp_cmd("Network.getResponseBody", {"requestId": message["params"]["requestId"]})
            bodies.append((response["url"], body.get("body", "")))
        except Exception:
            pass  # a body already evicted by Chromium; the DOM check still covers the page
    return bodies


def screenshot(driver, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def wait_for(driver, condition, timeout=20):
    return WebDriverWait(driver, timeout).until(condition)
