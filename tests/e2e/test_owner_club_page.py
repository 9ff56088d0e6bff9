"""The owner's club page on a phone (headless Chromium, 390×844), on the real stack.

The owner opens the signed link of the welcome message notifications sent; sees tier, points and
ledger, redeems an offer their tier allows, signs up for a full community event and moves up the
waiting list when the owner holding the place cancels. No owner sees or acts on another's data: a
tampered link, an expired one and another member's ids in bodies and paths are all refused.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from kefu_contracts import Topics
from kefu_membership.owner_links import OwnerLinks
from selenium.webdriver.common.by import By

from support import auth
from support.kafka_io import read_all
from support.phone import HEIGHT, WIDTH, fits_the_width, phone, screenshot, until, viewport
from support.waiting import eventually

pytestmark = pytest.mark.e2e

SECRET = "owner-link-test-secret-0123456789"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
LINKS = {"KEFU_OWNER_LINK_SECRET": SECRET}


def soon(days: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(days=days)).isoformat()


def sent(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


async def _sent(path: Path) -> list[dict]:
    return sent(path)


async def join(relations: httpx.AsyncClient, customer_id: str, phone_no: str, project: str = "滨江花园") -> str:
    r = await relations.post("/members", json={"customer_id": customer_id, "name": "业主", "phone": phone_no,
                                                "properties": [{"project": project, "building": "1幢", "unit": "0101"}]})
    assert r.status_code == 201, r.text
    return r.json()["member_id"]


async def link_of(client: httpx.AsyncClient, member_id: str) -> str:
    r = await client.post(f"/members/{member_id}/club-link")
    assert r.status_code == 201, r.text
    return r.json()["token"]


def on_page(driver) -> str:
    return driver.find_element(By.TAG_NAME, "body").text


def event_item(driver, activity_id: str):
    return driver.find_element(By.CSS_SELECTOR, f'#events li[data-activity-id="{activity_id}"]')


async def test_an_owner_joins_the_waiting_list_of_a_full_event_and_moves_up_when_a_place_frees(
        services, namespace, infra, tmp_path):
    outbox = tmp_path / "sent.jsonl"
    membership, _notifications = services(
        "membership", "notifications", **LINKS, KEFU_QUIET_HOURS="", KEFU_DELIVERY_INTERVAL_S="0.3",
        KEFU_FILE_PROVIDER_PATH=str(outbox))
    topics = Topics(namespace)
    async with auth.client(membership.url, "relations") as relations:
        owner = await join(relations, "cust-owner", "13900001111")
        other = await join(relations, "cust-other", "13900002222")
        assert (await relations.post(f"/members/{owner}/referrals",
                                     json={"buyer_name": "李先生", "contract_ref": "HT-2026-001"})).status_code == 201
        merchant = (await relations.post("/merchants", json={"name": "滨江咖啡"})).json()["_id"]
        offers = {}
        for name, tier, cost, limit in (("coffee", "regular", 200, 1), ("gym", "silver", 0, 2),
                                        ("spa", "gold", 0, 1), ("hotel", "regular", 50000, 1)):
            made = await relations.post(f"/merchants/{merchant}/offers", json={
                "title": {"coffee": "咖啡买一送一", "gym": "健身房体验月卡", "spa": "水疗套餐",
                          "hotel": "酒店双人住宿"}[name],
                "min_tier": tier, "points_cost": cost, "limit_per_member": limit, "limit_total": 100})
            assert made.status_code == 201, made.text
            offers[name] = made.json()["_id"]
        event = (await relations.post("/activities", json={"title": "中秋亲子手工月饼", "project": "滨江花园",
                                                         "starts_at": soon(3), "capacity": 1})).json()["_id"]
    async with auth.client(membership.url, "agent") as agent:
        taken = await agent.post(f"/activities/{event}/signups", json={"member_id": other})
        assert taken.json()["status"] == "confirmed", "the one place is taken"

    # the welcome message carries the owner's link (membership signs it; notifications only sends it)
    welcome = await eventually(lambda: _sent(outbox), lambda msgs: any(
        m["recipient"] == "customer:cust-owner" and m["template"] == "member_joined.owner_link" for m in msgs),
        what="the welcome with the club link")
    text = next(m for m in welcome if m["recipient"] == "customer:cust-owner")["text"]
    token = re.search(r"/o/([A-Za-z0-9._-]+)", text).group(1)
    assert token.startswith(owner + ".")
    url = f"{membership.url}/o/{token}"  # the link's base is this test's port

    with phone() as browser:
        await asyncio.to_thread(browser.get, url)
        assert viewport(browser) == (WIDTH, HEIGHT) and fits_the_width(browser)
        assert browser.find_element(By.ID, "tier").get_attribute("data-tier") == "silver"  # 1000 points
        assert browser.find_element(By.ID, "balance").text == "1000"
        assert "老带新推荐" in browser.find_element(By.ID, "ledger").text
        shown = {li.get_attribute("data-offer-id"): li.get_attribute("data-redeemable")
                 for li in browser.find_elements(By.CSS_SELECTOR, "#offers li")}
        assert shown == {offers["coffee"]: "true", offers["gym"]: "true", offers["hotel"]: "false"}, \
            "the gold offer is not for a silver member; the hotel costs more points than the owner has"
        assert "积分不足" in browser.find_element(By.CSS_SELECTOR, f'li[data-offer-id="{offers["hotel"]}"]').text

        item = event_item(browser, event)
        assert "名额 1/1" in item.text and item.get_attribute("data-status") == ""
        item.find_element(By.CSS_SELECTOR, "button[data-action=signup]").click()
        await until(browser, lambda d: event_item(d, event).get_attribute("data-status") == "waitlisted",
                    "on the waiting list")
        assert "候补第 1 位" in event_item(browser, event).text

        browser.find_element(By.CSS_SELECTOR, f'li[data-offer-id="{offers["coffee"]}"] button').click()
        await until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#codes tr[data-code]"), "the code")
        assert browser.find_element(By.ID, "balance").text == "800"
        coffee = browser.find_element(By.CSS_SELECTOR, f'li[data-offer-id="{offers["coffee"]}"]')
        assert coffee.get_attribute("data-redeemable") == "false" and "已达兑换上限" in coffee.text
        screenshot(browser, "owner-club.png")

        async with auth.client(membership.url, "agent") as agent:  # the owner holding the place cancels
            assert (await agent.delete(f"/activities/{event}/signups/{other}")).status_code == 200
        await asyncio.to_thread(browser.refresh)
        await until(browser, lambda d: event_item(d, event).get_attribute("data-status") == "confirmed",
                    "moved up from the waiting list")
        assert "已报名" in event_item(browser, event).text and other not in on_page(browser)

        event_item(browser, event).find_element(By.CSS_SELECTOR, "button[data-action=cancel]").click()
        await until(browser, lambda d: event_item(d, event).get_attribute("data-status") == "", "cancelled")

    changes = [json.loads(m.value) for m in await read_all(infra, topics("community_event.signup_changed"), 800)]
    mine = [c["status"] for c in changes if c["member_id"] == owner]
    assert mine == ["waitlisted", "promoted", "cancelled"], "the staff API's events, from the owner's page"
    async with auth.client(membership.url, "relations") as relations:
        codes = (await relations.get(f"/members/{owner}/redemptions")).json()
        assert [c["offer_id"] for c in codes] == [offers["coffee"]], "the staff API sees the owner's redemption"


async def test_no_owner_sees_or_acts_on_another_owners_data_and_links_expire(services):
    (membership,) = services("membership", **LINKS)
    async with auth.client(membership.url, "relations") as relations:
        mine = await join(relations, "cust-mine", "13900003333")
        theirs = await join(relations, "cust-theirs", "13900004444")
        elsewhere = (await relations.post("/activities", json={"title": "金沙湾业主篮球赛", "project": "金沙湾",
                                                             "starts_at": soon(2), "capacity": 5})).json()["_id"]
        ours = (await relations.post("/activities", json={"title": "滨江花园插花课", "project": "滨江花园",
                                                        "starts_at": soon(2), "capacity": 5})).json()["_id"]
        merchant = (await relations.post("/merchants", json={"name": "花店"})).json()["_id"]
        offer = (await relations.post(f"/merchants/{merchant}/offers", json={
            "title": "鲜花九折", "min_tier": "regular", "points_cost": 0, "limit_per_member": 1,
            "limit_total": 10})).json()["_id"]
        token, their_token = await link_of(relations, mine), await link_of(relations, theirs)
    async with auth.client(membership.url, "analyst") as analyst:
        assert (await analyst.post(f"/members/{mine}/club-link")).status_code == 403
    async with auth.client(membership.url, "agent") as agent:
        assert (await agent.post(f"/activities/{ours}/signups", json={"member_id": theirs})).status_code == 200

    async with httpx.AsyncClient(base_url=membership.url, timeout=20) as owner:
        view = await owner.get(f"/o/{token}")
        assert view.status_code == 200 and view.json()["member_id"] == mine
        assert theirs not in view.text, "another member's number is never on my page (not even on a roster)"
        assert [e["activity_id"] for e in view.json()["events"]] == [ours], "only events of my projects"
        assert (await owner.get(f"/o/{token}", headers={"Accept": BROWSER_ACCEPT})).status_code == 200

        member_part, expires, signature = token.split(".")
        tampered = {"another member": f"{theirs}.{expires}.{signature}",
                    "a later expiry": f"{member_part}.{int(expires) + 86400}.{signature}",
                    "a changed signature": f"{member_part}.{expires}.{signature[:-2]}AA",
                    "garbage": "not-a-link"}
        for what, bad in tampered.items():
            for method, path, body in (("GET", "", None), ("POST", "/redemptions", {"offer_id": offer}),
                                       ("POST", "/signups", {"activity_id": ours}),
                                       ("DELETE", f"/signups/{ours}", None)):
                r = await owner.request(method, f"/o/{bad}{path}", json=body)
                assert r.status_code == 404 and r.json()["code"] == "not_found", (what, method, path, r.text)
        page = await owner.get(f"/o/{tampered['another member']}", headers={"Accept": BROWSER_ACCEPT})
        assert page.status_code == 404 and "链接无效" in page.text and theirs not in page.text

        # another member's ids in bodies and paths: refused, or they change nothing of theirs
        smuggled = await owner.post(f"/o/{token}/redemptions", json={"offer_id": offer, "member_id": theirs})
        assert smuggled.status_code == 422
        assert (await owner.post(f"/o/{token}/signups", json={"activity_id": ours, "member_id": theirs})
                ).status_code == 422
        cancelled = await owner.delete(f"/o/{token}/signups/{ours}")  # I hold no place: theirs stays
        assert cancelled.status_code == 200 and cancelled.json()["status"] is None
        assert (await owner.delete(f"/o/{token}/signups/{theirs}")).status_code == 404
        assert (await owner.post(f"/o/{token}/signups", json={"activity_id": elsewhere})).status_code == 404
        their_view = (await owner.get(f"/o/{their_token}")).json()
        assert [e["status"] for e in their_view["events"] if e["activity_id"] == ours] == ["confirmed"]
        redeemed = await owner.post(f"/o/{token}/redemptions", json={"offer_id": offer})
        assert redeemed.status_code == 201
        assert (await owner.post(f"/o/{token}/redemptions", json={"offer_id": offer})).status_code == 409
        assert (await owner.get(f"/o/{their_token}")).json()["redemptions"] == []

        # a link past its expiry (signed with the service's secret, so only the expiry refuses it)
        links = OwnerLinks(SECRET.encode(), membership.url, timedelta(days=30))
        old = links.token(mine, datetime.now(timezone.utc) - timedelta(seconds=5))
        expired = await owner.get(f"/o/{old}")
        assert expired.status_code == 410 and expired.json()["code"] == "gone"
        assert (await owner.post(f"/o/{old}/signups", json={"activity_id": ours})).status_code == 410
        with phone() as browser:
            await asyncio.to_thread(browser.get, f"{membership.url}/o/{old}")
            assert "链接已过期" in on_page(browser) and not browser.find_elements(By.ID, "events")
            await asyncio.to_thread(browser.get, f"{membership.url}/o/{old}?lang=en")
            assert "This link has expired" in on_page(browser)
