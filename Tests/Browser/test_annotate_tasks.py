"""The annotator's page opened without a task: it offers the tasks open to the annotator now
(GET /api/v1/me/tasks), so the sign-in page's link leads to work."""

from selenium.webdriver.common.by import By

from annotate_support import leased_task, take_next_chip
from conftest import sign_in, wait_for


def offered(browser):
    return [option.get_attribute("value") for option in browser.find_elements(By.CSS_SELECTOR, "#known-tasks option")]


def test_the_page_offers_the_tasks_open_to_the_annotator(deployment, browser):
    leased = leased_task(deployment, name="drawing")
    # ana has chips of the assigned task `town` and may lease in `drawing`.
    sign_in(browser, deployment, "ana", "annotate.html")
    wait_for(browser, lambda driver: offered(driver) == ["drawing", "town"])  # by name
    assert browser.find_element(By.ID, "task").get_attribute("value") == "drawing"
    browser.find_element(By.ID, "task").clear()
    browser.find_element(By.ID, "task").send_keys(leased)
    chip = take_next_chip(browser)
    status, leases = deployment.api("ana", "/leases")
    assert status == 200 and [(lease["task"], lease["chip"]) for lease in leases] == [(leased, chip)]


def test_a_closed_task_and_other_annotators_work_are_not_offered(deployment, browser):
    leased_task(deployment, name="drawing")
    deployment.swath("task", "close", "drawing")
    sign_in(browser, deployment, "ben", "annotate.html")
    wait_for(browser, lambda driver: offered(driver) == ["town"])
    browser.find_element(By.ID, "task").clear()
    browser.find_element(By.ID, "task").send_keys("drawing")
    browser.find_element(By.ID, "next").click()
    wait_for(browser, lambda driver: "has no work for you" in driver.find_element(By.ID, "message").text)
    status, leases = deployment.api("ben", "/leases")
    assert status == 200 and leases == []
