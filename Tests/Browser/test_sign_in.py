"""The sign-in page and what every page shares: the token kept for the tab, the pages offered by
role, Leaflet served from the machine, nothing fetched from outside, an unknown token said."""

from urllib.parse import urlparse

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from conftest import requested_urls, sign_in, wait_for


def visible_pages(driver):
    return [item.text.split(":")[0] for item in driver.find_elements(By.CSS_SELECTOR, "#pages li") if item.is_displayed()]


def test_sign_in_offers_the_pages_of_the_role_and_sign_out_forgets_the_token(deployment, browser):
    sign_in(browser, deployment, "ana")
    assert visible_pages(browser) == ["Annotate"]
    assert browser.find_element(By.ID, "who").text == "ana (annotator)"
    assert browser.execute_script("return sessionStorage.getItem('swath.token')") == deployment.tokens["ana"]
    browser.find_element(By.ID, "sign-out").click()
    wait_for(browser, EC.visibility_of_element_located((By.ID, "token")))
    assert browser.execute_script("return sessionStorage.getItem('swath.token')") is None

    sign_in(browser, deployment, "lena")
    assert visible_pages(browser) == ["Tasks"]
    browser.find_element(By.ID, "sign-out").click()
    sign_in(browser, deployment, "root")
    assert visible_pages(browser) == ["Annotate", "Review", "Tasks"]


def test_a_wrong_token_is_said_and_not_kept(deployment, browser):
    browser.get(f"{deployment.url}/app/")
    wait_for(browser, EC.visibility_of_element_located((By.ID, "token"))).send_keys("swt_not-a-token")
    browser.find_element(By.CSS_SELECTOR, "#sign-in-form button[type=submit]").click()
    message = wait_for(browser, EC.visibility_of_element_located((By.ID, "message")))
    assert "not accepted" in message.text
    assert browser.execute_script("return sessionStorage.getItem('swath.token')") is None


def test_a_page_opened_without_a_token_sends_to_sign_in_and_back(deployment, browser):
    browser.get(f"{deployment.url}/app/annotate.html")
    wait_for(browser, EC.visibility_of_element_located((By.ID, "token"))).send_keys(deployment.tokens["ana"])
    browser.find_element(By.CSS_SELECTOR, "#sign-in-form button[type=submit]").click()
    wait_for(browser, EC.url_contains("/app/annotate.html"))


def test_leaflet_comes_from_the_server_and_nothing_from_outside(deployment, browser):
    sign_in(browser, deployment, "root", "tasks.html")
    # Debian's 1.7.1 build still calls itself "1.6.0" in L.version, so check what the pages use.
    wait_for(browser, lambda driver: driver.execute_script("return window.L && L.version"))
    assert browser.execute_script("return typeof L.CRS.Simple.transformation === 'object'")
    urls = requested_urls(browser)
    assert any(url.endswith("/vendor/leaflet/leaflet.js") for url in urls)
    hosts = {urlparse(url).netloc for url in urls if url.startswith("http")}
    assert hosts == {urlparse(deployment.url).netloc}, hosts


def test_a_token_disabled_while_the_page_is_open_is_said(deployment, browser):
    sign_in(browser, deployment, "ana")
    deployment.swath("user", "disable", "ana")
    browser.get(f"{deployment.url}/app/annotate.html")
    message = wait_for(browser, EC.visibility_of_element_located((By.ID, "message")))
    assert "no longer accepted" in message.text
    assert browser.find_element(By.LINK_TEXT, "Sign in again")
