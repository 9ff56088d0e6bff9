"""The dashboard page in a real headless Chromium (Debian's chromium + chromedriver, driven by Selenium).

The page loads with a manager's token, shows a case published a moment later without a reload,
and with a department's token never shows another department's case; the monthly report opens
from the page (it is fetched with the token, then shown).

``KEFU_DASHBOARD_SCREENSHOT=docs/dashboard.png`` also saves a screenshot of the manager's page
(that is how docs/dashboard.png is made).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from datetime import timedelta

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select, WebDriverWait
from selenium.common.exceptions import StaleElementReferenceException

from support.chromium import chromium
from support.routing_api import Tokens

from .test_dashboard_api import FAST, Cases

pytestmark = pytest.mark.e2e

WAIT_S = 30


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    with chromium("--window-size=1440,1400") as driver:
        yield driver

def sign_in(driver: WebDriver, url: str, token: str) -> None:
    driver.get(url)
    driver.execute_script("sessionStorage.clear()")
    driver.get(url)
    driver.find_element(By.ID, "token").send_keys(token)
    driver.find_element(By.CSS_SELECTOR, "#login button[type=submit]").click()
    WebDriverWait(driver, WAIT_S).until(lambda d: d.find_element(By.ID, "board").is_displayed())
    WebDriverWait(driver, WAIT_S).until(lambda d: "on" in d.find_element(By.ID, "live").get_attribute("class"))


async def until(driver: WebDriver, condition, what: str) -> None:
    """Wait for a page condition without blocking the event loop (the test publishes meanwhile)."""
    def holds(d: WebDriver) -> bool:
        try:
            return bool(condition(d))
        except StaleElementReferenceException:  # the live page re-rendered what the check was reading: look again
            return False

    for _ in range(WAIT_S * 5):
        if await asyncio.to_thread(holds, driver):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{what}: not on the page after {WAIT_S}s")


def in_feed(case_id: str):
    return lambda d: bool(d.find_elements(By.CSS_SELECTOR, f'#feed li[data-case-id="{case_id}"]'))


async def test_the_page_shows_new_cases_live_and_only_what_the_caller_may_see(services, producer, namespace,
                                                                              browser):
    tokens = Tokens.make()
    (dashboard,) = services("dashboard", KEFU_DASHBOARD_TOKENS=tokens.env(), **FAST)
    cases = Cases(producer, namespace)
    await cases.new("engineering", "滨江花园", "卫生间天花板漏水", kind="repair", level=None, building="2幢")
    await cases.new("property", "翠湖天地", "电梯困人，物业半小时没来", respond_in=timedelta(minutes=10),
                    opened_ago=timedelta(hours=1), building="6幢")
    await cases.new("finance", "金沙湾", "按揭放款进度", kind="inquiry", level=None)
    await cases.new("sales", "金沙湾", "交房标准与宣传不符", building="9幢")
    members = [await cases.new("customer_service", "滨江花园", "外墙渗水，墙面发霉", building="3幢",
                               unit=f"0{i}02") for i in range(1, 5)]
    await cases.escalate(members[0], "customer_service", "滨江花园", 3, "group_complaint", members, building="3幢")
    noisy = await cases.new("engineering", "翠湖天地", "空调冷凝水倒灌，第三次投诉", building="6幢")
    await cases.escalate(noisy, "engineering", "翠湖天地", 2, "repeat_complaint", building="6幢")

    await asyncio.to_thread(sign_in, browser, dashboard.url, tokens.plain["manager"])
    await until(browser, lambda d: d.find_element(By.ID, "c-groups").text == "1", "the group complaint counted")
    await until(browser, in_feed(noisy), "the recent escalation in the feed")
    fresh = await cases.new("property", "金沙湾", "地下车库积水", kind="repair", level=None, building="2幢")
    await until(browser, in_feed(fresh), "a case published after the page loaded, without a reload")
    await until(browser, lambda d: bool(d.find_elements(By.CSS_SELECTOR, f'#cases-table tr[data-case-id="{fresh}"]')),
                "the new case in the open cases list")
    await until(browser, lambda d: {row.get_attribute("data-department")
                                    for row in d.find_elements(By.CSS_SELECTOR, "#open-table tbody tr")}
                == {"engineering", "property", "finance", "sales", "customer_service"}, "open cases by department")
    if os.environ.get("KEFU_DASHBOARD_SCREENSHOT"):
        await until(browser, lambda d: bool(d.find_elements(By.CSS_SELECTOR, "#lag-table tr[data-group]")),
                    "the lag panel sampled")
        browser.save_screenshot(os.environ["KEFU_DASHBOARD_SCREENSHOT"])

    main_window = browser.current_window_handle
    await asyncio.to_thread(browser.find_element(By.CSS_SELECTOR, "#report button[type=submit]").click)
    await until(browser, lambda d: len(d.window_handles) == 2, "the monthly report opened from the page")
    browser.switch_to.window(next(h for h in browser.window_handles if h != main_window))
    await until(browser, lambda d: "投诉" in d.page_source and "<svg" in d.page_source, "the report with its charts")
    browser.close()
    browser.switch_to.window(main_window)
    # The weekly report and the quality report from the same panel's selector (defaults: last week, last month).
    for kind, title in (("week", "投诉周报"), ("quality", "质检报告")):
        await asyncio.to_thread(Select(browser.find_element(By.ID, "report-kind")).select_by_value, kind)
        assert browser.find_element(By.CSS_SELECTOR, f'#report label[data-kind="{kind}"]').is_displayed()
        assert not browser.find_element(By.ID, "report-month").is_displayed()
        await asyncio.to_thread(browser.find_element(By.CSS_SELECTOR, "#report button[type=submit]").click)
        await until(browser, lambda d: len(d.window_handles) == 2, f"the {kind} report opened from the page")
        browser.switch_to.window(next(h for h in browser.window_handles if h != main_window))
        await until(browser, lambda d, t=title: t in d.page_source and "<svg" in d.page_source,
                    f"the {kind} report with its charts")
        browser.close()
        browser.switch_to.window(main_window)

    await asyncio.to_thread(browser.find_element(By.ID, "logout").click)
    await asyncio.to_thread(sign_in, browser, dashboard.url, tokens.plain["engineering"])
    other = await cases.new("property", "滨江花园", "小区门禁失灵", kind="repair", level=None)
    own = await cases.new("engineering", "滨江花园", "阳台地漏反水", kind="repair", level=None)
    await until(browser, in_feed(own), "the engineer's own new case, live")
    await until(browser, lambda d: bool(d.find_elements(By.CSS_SELECTOR, f'#cases-table tr[data-case-id="{own}"]')),
                "the engineer's case list refreshed")
    page = browser.page_source
    for hidden in (other, fresh, members[0]):
        assert hidden not in page, f"another department's case {hidden} is on the engineer's page"
    assert noisy in page
    assert not browser.find_element(By.ID, "f-department-label").is_displayed(), "staff cannot pick a department"

    # A role the dashboard does not serve (ops watches lag through /api/lag, not the page) is told so at sign-in.
    await asyncio.to_thread(browser.find_element(By.ID, "logout").click)
    await asyncio.to_thread(browser.find_element(By.ID, "token").clear)
    await asyncio.to_thread(browser.find_element(By.ID, "token").send_keys, tokens.plain["ops"])
    await asyncio.to_thread(browser.find_element(By.CSS_SELECTOR, "#login button[type=submit]").click)
    try:
        await until(browser, lambda d: "无权" in d.find_element(By.ID, "login-error").text,
                    "ops told the page is not theirs")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the sign-in says {browser.find_element(By.ID, 'login-error').text!r}") from None
    assert not browser.find_element(By.ID, "board").is_displayed()
