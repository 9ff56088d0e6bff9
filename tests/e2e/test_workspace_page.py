"""The agent workspace (/workspace) in a real headless Chromium on the real stack, at 1366×768.

An owner under warranty calls about a leak. The agent finds the archive by the number (unit, handover
date, club tier), sees the classifier and knowledge suggestions live, submits: the case lands in
engineering with an assignee and deadlines; the owner calls again: a follow-up of the same case.
Engineering works the case from its queue: completing with a cost under warranty is refused until a
cost approval, which engineering asks for from the page. The manager's inbox shows it; a cost above
the manager's authority is refused with the limit shown; the manager approves the one within it.
Engineering completes with the cost; the return visit is due (``survey.due``).

The browser calls intake, routing, membership and knowledge directly from the dashboard's origin
(CORS, KEFU_CORS_ORIGINS). ``KEFU_WORKSPACE_SCREENSHOT=docs/workspace.png`` saves screenshots of the
three screens (``docs/workspace.png``, ``docs/workspace-queue.png``, ``docs/workspace-approvals.png``).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from kefu_contracts import Topics
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from support.chromium import chromium
from support import auth
from support.kafka_io import read_all
from support.services import free_port
from support.waiting import eventually

pytestmark = pytest.mark.e2e

WAIT_S = 45
PHONE = "13900006666"
UNIT = {"project": "翠湖天地", "building": "2幢", "unit": "1801"}


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    with chromium("--lang=zh-CN") as driver:
        # the inner size of the agent's 1366×768 screen (what a maximised browser leaves for the page)
        driver.set_window_size(1366, 768)
        inner = driver.execute_script("return [window.innerWidth, window.innerHeight]")
        driver.set_window_size(1366 + (1366 - inner[0]), 768 + (768 - inner[1]))
        yield driver


async def until(driver: WebDriver, condition, what: str):
    """Wait for a page condition without blocking the event loop; returns what the condition returned."""
    def holds(d: WebDriver):
        try:
            return condition(d)
        except StaleElementReferenceException:
            return None

    for _ in range(WAIT_S * 5):
        value = await asyncio.to_thread(holds, driver)
        if value:
            return value
        await asyncio.sleep(0.2)
    logs = driver.get_log("browser") if hasattr(driver, "get_log") else []
    raise AssertionError(f"{what}: not on the page after {WAIT_S}s; browser console: {logs[-5:]}")


def text(d: WebDriver, element_id: str) -> str:
    return d.find_element(By.ID, element_id).text


def shown(d: WebDriver, element_id: str) -> bool:
    return d.find_element(By.ID, element_id).is_displayed()


async def do(driver: WebDriver, action) -> None:
    await asyncio.to_thread(action, driver)


def sign_in(d: WebDriver, url: str, who: str) -> None:
    d.get(url)
    d.execute_script("sessionStorage.clear()")
    d.get(url)
    d.find_element(By.ID, "token").send_keys(auth.PLAIN[who])
    d.find_element(By.CSS_SELECTOR, "#login button[type=submit]").click()


def type_into(element_id: str, value: str, clear: bool = True):
    def action(d: WebDriver) -> None:
        field = d.find_element(By.ID, element_id)
        if clear:
            field.clear()
        field.send_keys(value)
    return action


def click(selector: str):
    return lambda d: d.find_element(By.CSS_SELECTOR, selector).click()


def screenshot(d: WebDriver, name: str) -> None:
    target = os.environ.get("KEFU_WORKSPACE_SCREENSHOT")
    if target:
        path = Path(target)
        d.save_screenshot(str(path if name == "call" else path.with_name(f"{path.stem}-{name}{path.suffix}")))


async def test_a_leak_call_to_its_approved_repair_and_return_visit(services, namespace, infra, browser):
    page_port = free_port()
    origin = f"http://127.0.0.1:{page_port}"
    intake, routing, surveys, membership, knowledge = services(
        "intake", "routing", "surveys", "membership", "knowledge", KEFU_CORS_ORIGINS=origin,
        KEFU_REPAIR_VISIT_DUE_AFTER_S="1", KEFU_SCHEDULER_INTERVAL_S="0.3", KEFU_RELAY_INTERVAL_S="1")
    (dashboard,) = services("dashboard", KEFU_HTTP_PORT=str(page_port), KEFU_INTAKE_URL=intake.url,
                            KEFU_ROUTING_URL=routing.url, KEFU_SURVEYS_URL=surveys.url,
                            KEFU_MEMBERSHIP_URL=membership.url, KEFU_KNOWLEDGE_URL=knowledge.url)
    assert dashboard.url == origin
    page = f"{origin}/workspace"
    topics = Topics(namespace)
    async with auth.client(intake.url, "relations") as client:
        handed = await client.put("/property-register", json=[{**UNIT, "handover_date": "2025-01-15",
                                                                "owner": {"name": "钱女士", "phone": PHONE}}])
        assert handed.status_code == 200, handed.text
    async with auth.client(intake.url, "agent") as client:
        customer_id = (await client.get("/customers", params={"phone": PHONE})).json()["customer"]["_id"]
    async with auth.client(membership.url, "agent") as client:  # the club welcomes the owner at handover
        await eventually(lambda: client.get(f"/customers/{customer_id}/member"), lambda r: r.status_code == 200,
                         what="the owner is a club member")

    # --- the agent takes the call: archive, live classification and suggestions, submit ----------
    await do(browser, lambda d: sign_in(d, page, "agent"))
    await until(browser, lambda d: shown(d, "screen-call"), "the agent starts on the call screen")
    await do(browser, type_into("call-phone", "+86 139-0000-6666"))
    await do(browser, click("#lookup button[type=submit]"))
    await until(browser, lambda d: "钱女士" in text(d, "arch-name"), "the caller's archive by the number")
    assert "1801" in text(browser, "arch-properties") and "2025/1/15" in text(browser, "arch-properties")
    await until(browser, lambda d: "积分" in text(d, "arch-tier"), "the club tier beside the archive")
    assert browser.find_element(By.ID, "call-unit").get_attribute("value") == "1801", "the unit is picked"
    await do(browser, type_into("call-text", "顶楼客厅天花板漏水，下雨就滴水"))
    await until(browser, lambda d: d.find_element(By.ID, "classification").get_attribute("data-kind") == "repair",
                "the classifier's kind, live")
    await until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#sugg-articles li[data-id]"),
                "knowledge suggestions for the text")
    assert text(browser, "cls-category") not in ("", "—"), "a leak has a repair category"
    await do(browser, click("#call-submit"))
    await until(browser, lambda d: d.find_element(By.ID, "call-result").get_attribute("data-department"),
                "the submitted call's case, routed")
    case_id = browser.find_element(By.ID, "call-result").get_attribute("data-case-id")
    assert browser.find_element(By.ID, "call-result").get_attribute("data-department") == "engineering"
    assert text(browser, "res-assignee") not in ("", "—") and text(browser, "res-resolve") not in ("", "—")
    assert "保修期内" in text(browser, "res-warranty")
    assert not shown(browser, "res-followup")
    screenshot(browser, "call")

    # the owner calls again about the same leak: a follow-up of the same case
    await do(browser, click("#call-new"))
    await do(browser, type_into("call-phone", PHONE))
    await do(browser, click("#lookup button[type=submit]"))
    await until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, f'#arch-cases li[data-case-id="{case_id}"]'),
                "the open case in the archive")
    await do(browser, type_into("call-text", "天花板还在漏水，什么时候来修"))
    await do(browser, click("#call-submit"))
    await until(browser, lambda d: shown(d, "res-followup"), "the second call shown as a follow-up")
    assert browser.find_element(By.ID, "call-result").get_attribute("data-case-id") == case_id

    # --- engineering works the case from its queue ------------------------------------------------
    await do(browser, click("#logout"))
    await do(browser, lambda d: sign_in(d, page, "engineering"))
    row = f'#queue-table tr[data-case-id="{case_id}"]'
    await until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, row), "the case in engineering's queue")
    assert not shown(browser, "tab-call") and not shown(browser, "tab-approvals")
    assert not shown(browser, "q-department-label"), "department staff see their own department only"
    await do(browser, click(row))
    await until(browser, lambda d: d.find_element(By.ID, "case-detail").get_attribute("data-case-id") == case_id,
                "the case page")
    await until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, '#cd-timeline li[data-type="follow_up"]'),
                "the follow-up on the case's timeline")
    await do(browser, click('#cd-actions button[data-action="acknowledge"]'))
    await until(browser, lambda d: "完成" in text(d, "cd-msg"), "acknowledged, without a reload")
    await do(browser, click('#cd-wo-actions button[data-wo="start"]'))
    await until(browser, lambda d: d.find_element(By.ID, "cd-work-order").get_attribute("data-status") == "started",
                "the work order started")
    await do(browser, type_into("cd-note", "更换屋面防水卷材"))
    await do(browser, click('#cd-wo-actions button[data-wo="progress"]'))
    await until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, '#cd-timeline li[data-type="work_order_progress"]'),
                "the progress report on the timeline")
    await do(browser, type_into("cd-cost", "5000"))
    await do(browser, click('#cd-wo-actions button[data-wo="complete"]'))
    await until(browser, lambda d: "409" in text(d, "cd-msg") and "approved cost" in text(d, "cd-msg"),
                "completing a warranty repair with a cost needs an approval first")
    await do(browser, click("#cd-ask-cost"))
    await until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, '#cd-approvals li[data-status="pending"]'),
                "the cost approval asked from the page")
    screenshot(browser, "queue")
    async with auth.client(routing.url, "engineering") as client:  # and one more than a manager may approve
        big = await client.post(f"/cases/{case_id}/approvals", json={"kind": "cost", "amount": "20000"})
        assert big.status_code == 200, big.text
    approvals = {a["amount"]: a["id"] for a in big.json()["approvals"]}

    # --- the manager's inbox ---------------------------------------------------------------------
    await do(browser, click("#logout"))
    await do(browser, lambda d: sign_in(d, page, "manager"))
    within = f'#approvals-table tr[data-case-id="{case_id}"][data-approval-id="{approvals["5000.00"]}"]'
    beyond = f'#approvals-table tr[data-case-id="{case_id}"][data-approval-id="{approvals["20000.00"]}"]'
    await until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, within), "the approval in the manager's inbox")
    assert "beyond" in browser.find_element(By.CSS_SELECTOR, beyond).get_attribute("class")
    screenshot(browser, "approvals")
    await do(browser, click(f'{beyond} button[data-decision="approve"]'))
    await until(browser, lambda d: "403" in text(d, "ap-msg") and "10000.00" in text(d, "ap-msg"),
                "an over-limit approval refused with the limit shown")
    await do(browser, lambda d: d.find_element(By.CSS_SELECTOR, f"{within} input.reason").send_keys("保修期内，同意"))
    await do(browser, click(f'{within} button[data-decision="approve"]'))
    await until(browser, lambda d: d.find_element(By.CSS_SELECTOR, within).get_attribute("data-status") == "approved",
                "approved from the inbox")

    # --- engineering completes; the return visit is due ---------------------------------------------
    await do(browser, click("#logout"))
    await do(browser, lambda d: sign_in(d, page, "engineering"))
    await until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, row), "the case in the queue again")
    await do(browser, click(row))
    await until(browser, lambda d: d.find_element(By.ID, "case-detail").get_attribute("data-case-id") == case_id,
                "the case page again")
    await do(browser, type_into("cd-cost", "5000"))
    await do(browser, type_into("cd-note", "已更换防水层"))
    await do(browser, click('#cd-wo-actions button[data-wo="complete"]'))
    await until(browser, lambda d: d.find_element(By.ID, "case-detail").get_attribute("data-status") == "resolved",
                "the repair completed with its approved cost")
    assert "5000.00" in text(browser, "cd-work-order")
    due = await eventually(lambda: read_all(infra, topics("survey.due"), 800),
                           lambda m: any(json.loads(x.value)["case_id"] == case_id for x in m),
                           timeout=90, what="the return visit due")
    visit = next(json.loads(x.value) for x in due if json.loads(x.value)["case_id"] == case_id)
    assert visit["kind"] == "repair_return_visit" and visit["customer"]["customer_id"] == customer_id

    # a role with no screen here (the analyst counts, it takes no calls) is told so at sign-in
    await do(browser, click("#logout"))
    await do(browser, lambda d: sign_in(d, page, "analyst"))
    await until(browser, lambda d: "403" in text(d, "login-error") or "无工作台" in text(d, "login-error"),
                "the analyst refused at sign-in")
    assert not shown(browser, "workspace")
