"""The owner's questionnaire page on a phone (headless Chromium, 390×844), on the real stack.

An owner opens the single-use link of a return visit, gives 2 stars and "not solved": the answer goes
through ``POST /s/{token}`` like any program's, routing reopens and escalates the case, and the link
then shows that it has been used. Expired, unknown and agent-answered links get their own page, in
English when asked; programs still get JSON from the same URL.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from kefu_contracts import Topics
from selenium.webdriver.common.by import By

from support import auth
from support.kafka_io import call_payload, read_all, send_json
from support.phone import HEIGHT, WIDTH, fits_the_width, phone, screenshot, until, viewport
from support.waiting import eventually

from .test_surveys import FAST, repair_event, send, status_event, surveys_due

pytestmark = pytest.mark.e2e

PHONE = "13900006666"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def visible_text(driver) -> str:
    return driver.find_element(By.TAG_NAME, "body").text


async def test_an_owner_answers_2_of_5_not_solved_on_the_phone_and_the_case_reopens_and_escalates(
        services, producer, mongo, namespace, infra):
    intake, routing, surveys = services("intake", "routing", "surveys", **FAST)
    topics = Topics(namespace)
    call = call_payload(1, kind="repair", body="主卧窗台渗水，墙皮起鼓", caller={"name": "孙女士", "phone": PHONE},
                        property={"project": "滨江花园", "building": "5幢", "unit": "0902"})
    await send_json(producer, topics("call.received"), call, key=PHONE)
    cases = mongo[f"{namespace}_kefu_routing"].cases
    case = await eventually(lambda: cases.find_one({}), lambda c: c is not None and c.get("department"),
                            what="the case")
    assert case["department"] == "engineering"
    async with auth.client(routing.url, "engineering") as eng:
        done = await eng.post(f"/cases/{case['_id']}/work-order/complete", json={"cost": "0", "note": "重打密封胶"})
        assert done.status_code == 200, done.text
    (due,) = await eventually(lambda: surveys_due(infra, namespace), lambda d: len(d) == 1, timeout=90,
                              what="the return visit due")
    assert due["case_id"] == case["_id"]
    async with auth.client(surveys.url, "agent") as api:
        link = await api.post(f"/surveys/{due['survey_id']}/link")
        assert link.status_code == 201, link.text
    token = link.json()["token"]
    url = f"{surveys.url}/s/{token}"
    assert link.json()["url"].endswith(f"/s/{token}")

    async with httpx.AsyncClient(timeout=20) as plain:
        # the page is whole before any script runs: every control is in the server's HTML
        html = await plain.get(url, headers={"Accept": BROWSER_ACCEPT, "Accept-Language": "zh-CN"})
        assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
        assert all(f'id="csat-{v}"' in html.text for v in range(1, 6)) and 'id="solved-false"' in html.text
        assert html.headers["referrer-policy"] == "no-referrer"
        program = await plain.get(url)  # a program keeps its JSON
        assert program.json()["survey_id"] == due["survey_id"]

    with phone() as browser:
        await asyncio.to_thread(browser.get, url)
        assert viewport(browser) == (WIDTH, HEIGHT)
        assert "您反映的问题是否已经解决？" in visible_text(browser) and fits_the_width(browser)
        browser.find_element(By.CSS_SELECTOR, "label[for=csat-2]").click()
        browser.find_element(By.XPATH, "//input[@id='solved-false']/..").click()
        browser.find_element(By.ID, "comment").send_keys("窗台还是渗水，下雨就湿")
        assert browser.find_element(By.ID, "csat-2").is_selected()
        screenshot(browser, "owner-survey.png")
        browser.find_element(By.CSS_SELECTOR, "#survey button[type=submit]").click()
        await until(browser, lambda d: d.find_element(By.ID, "thanks").is_displayed(), "the thank-you")
        assert "感谢您的反馈" in visible_text(browser) and "尽快与您联系" in visible_text(browser)
        assert not browser.find_element(By.ID, "survey").is_displayed()

        reopened = await eventually(lambda: cases.find_one({"_id": case["_id"]}),
                                    lambda c: c["status"] == "reopened", timeout=60,
                                    what="the dissatisfied owner's answer reopens the case")
        assert reopened["level"] == 1 and reopened["escalations"][-1]["reason"] == "dissatisfied_return_visit"
        escalated = await eventually(lambda: read_all(infra, topics("complaint.escalated"), 800),
                                     lambda m: len(m) == 1, what="complaint.escalated")
        assert (json.loads(escalated[0].value)["reason"], json.loads(escalated[0].value)["level"]) == (
            "dissatisfied_return_visit", 1)
        answered = [json.loads(m.value) for m in await read_all(infra, topics("survey.answered"), 800)]
        assert [(a["csat"], a["solved"], a["comment"]) for a in answered] == [(2, False, "窗台还是渗水，下雨就湿")]

        await asyncio.to_thread(browser.refresh)  # the link was used once: it now says so
        await until(browser, lambda d: "此链接已使用" in visible_text(d), "the used link's page")
        assert not browser.find_elements(By.ID, "survey")
    async with httpx.AsyncClient(timeout=20) as plain:
        assert (await plain.get(url, headers={"Accept": BROWSER_ACCEPT})).status_code == 410
        again = await plain.post(url, json={"csat": 5, "solved": True})
        assert again.status_code == 410 and again.json()["code"] == "gone"


async def _open_survey(producer, mongo, namespace, infra, case_id: str) -> str:
    await send(producer, namespace, "case.status_changed", status_event(case_id, f"cust-{case_id}"))
    await eventually(lambda: mongo[f"{namespace}_kefu_surveys"].cases.find_one({"_id": case_id}),
                     lambda c: c is not None, what="case learned")
    await send(producer, namespace, "repair.completed", repair_event(case_id))
    due = await eventually(lambda: surveys_due(infra, namespace),
                           lambda d: any(x["case_id"] == case_id for x in d), what="visit due")
    return next(x["survey_id"] for x in due if x["case_id"] == case_id)


async def test_expired_unknown_and_answered_links_get_their_page_in_the_owners_language(
        services, producer, mongo, namespace, infra):
    (svc,) = services("surveys", **FAST)
    db = mongo[f"{namespace}_kefu_surveys"]
    expiring = await _open_survey(producer, mongo, namespace, infra, "case-e")
    answered = await _open_survey(producer, mongo, namespace, infra, "case-a")
    async with auth.client(svc.url, "agent") as api:
        expiring_token = (await api.post(f"/surveys/{expiring}/link")).json()["token"]
        answered_token = (await api.post(f"/surveys/{answered}/link")).json()["token"]
        by_phone = await api.post(f"/surveys/{answered}/answers", json={"csat": 4, "solved": True, "agent_id": "A1"})
        assert by_phone.status_code == 201
    stored = await db.links.find_one({"survey_id": expiring})
    past = datetime.now(timezone.utc) - timedelta(minutes=1)
    await db.links.update_one({"_id": stored["_id"]}, {"$set": {"expires_at": past}})

    async with httpx.AsyncClient(base_url=svc.url, timeout=20, headers={"Accept": BROWSER_ACCEPT}) as plain:
        statuses = {name: (await plain.get(f"/s/{t}")).status_code
                    for name, t in (("expired", expiring_token), ("answered", answered_token), ("unknown", "nope"))}
    assert statuses == {"expired": 410, "answered": 409, "unknown": 404}

    with phone("en-US,en") as browser:  # the browser's language
        await asyncio.to_thread(browser.get, f"{svc.url}/s/{expiring_token}")
        assert "This link has expired" in visible_text(browser) and not browser.find_elements(By.ID, "survey")
        await asyncio.to_thread(browser.get, f"{svc.url}/s/not-a-token")
        assert "Survey not found" in visible_text(browser)
    with phone() as browser:  # a Chinese browser, English asked for in the link
        await asyncio.to_thread(browser.get, f"{svc.url}/s/{answered_token}")
        assert "此问卷已有答复" in visible_text(browser)
        await asyncio.to_thread(browser.get, f"{svc.url}/s/{answered_token}?lang=en")
        assert "This survey has been answered" in visible_text(browser) and fits_the_width(browser)
    async with httpx.AsyncClient(base_url=svc.url, timeout=20) as program:
        expired = await program.get(f"/s/{expiring_token}")
        assert expired.status_code == 410 and expired.json()["code"] == "gone", "programs still get the JSON"


async def test_an_incomplete_form_is_not_sent_and_does_not_use_the_link(services, producer, mongo, namespace, infra):
    (svc,) = services("surveys", **FAST)
    survey_id = await _open_survey(producer, mongo, namespace, infra, "case-i")
    async with auth.client(svc.url, "agent") as api:
        token = (await api.post(f"/surveys/{survey_id}/link")).json()["token"]
    with phone() as browser:
        await asyncio.to_thread(browser.get, f"{svc.url}/s/{token}?lang=en")
        assert "Has the problem you reported been solved?" in visible_text(browser)
        browser.find_element(By.CSS_SELECTOR, "label[for=csat-4]").click()  # "solved?" left unanswered
        browser.find_element(By.CSS_SELECTOR, "#survey button[type=submit]").click()
        await asyncio.sleep(1.0)
        assert browser.find_element(By.ID, "survey").is_displayed()
        assert not browser.find_element(By.ID, "thanks").is_displayed()
    assert await mongo[f"{namespace}_kefu_surveys"].link_uses.count_documents({}) == 0
    async with httpx.AsyncClient(base_url=svc.url, timeout=20) as program:
        assert (await program.get(f"/s/{token}")).status_code == 200, "the link still works"
