"""The owner's club page (``/o/{token}`` in a browser): tier, points and ledger, offers, codes, community events.

Server-rendered and whole without its script: the script only sends the owner's choice (redeem,
sign up, cancel) as JSON to this link's own routes, then reloads the page, so what the owner
sees after an action is what the store holds. Chinese, English with ``?lang=en`` or an English browser.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from html import escape
from typing import Any

from fastapi.responses import HTMLResponse
from kefu_kit.owner_pages import Locale, page, state_page

CHINA = timezone(timedelta(hours=8))

TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "客户会", "member": "会员号", "tier": "会员等级", "points": "当前积分", "vip": "VIP",
        "ledger": "积分明细", "no_ledger": "暂无积分记录", "of": "共 {n} 条",
        "offers": "会员权益", "no_offers": "您的等级暂无可兑换的权益", "cost": "{n} 积分", "free": "免积分",
        "per_member": "每人限 {n} 次，已兑 {k} 次", "redeem": "兑换",
        "why_limit": "已达兑换上限", "why_sold_out": "已兑完", "why_points": "积分不足",
        "codes": "我的兑换码", "no_codes": "暂无兑换", "events": "社区活动", "no_events": "近期暂无活动",
        "places": "名额 {taken}/{capacity}", "waiting": "候补 {n} 人", "sign_up": "报名", "join_wait": "排队候补",
        "cancel": "取消报名", "leave_wait": "退出候补", "confirmed": "已报名", "checked_in": "已签到",
        "waitlisted": "候补第 {n} 位",
        "done": "已完成", "busy": "正在提交…", "e403": "您的会员等级暂不能兑换此权益。",
        "e404": "找不到此项，请刷新页面。", "e409": "无法完成：已达上限、积分不足或活动已结束。",
        "e410": "链接已过期，请联系客服获取新链接。", "e503": "人数较多，请稍后再试。", "error": "操作失败，请稍后再试。",
        "bad": "链接无效", "bad_text": "链接不完整或有误，请从短信或微信中重新打开。",
        "expired": "链接已过期", "expired_text": "为保护您的信息，会员链接有有效期。请致电客服热线获取新链接。",
        "rule_survey": "回访/问卷", "rule_event_checkin": "活动签到", "rule_referral": "老带新推荐",
        "rule_redemption": "权益兑换", "rule_expiry": "积分过期", "noscript": "请开启浏览器的 JavaScript 后操作。",
    },
    "en": {
        "title": "Owners' club", "member": "Member", "tier": "Tier", "points": "Points", "vip": "VIP",
        "ledger": "Points history", "no_ledger": "No points yet", "of": "{n} entries in all",
        "offers": "Member benefits", "no_offers": "No benefits for your tier yet", "cost": "{n} points",
        "free": "free", "per_member": "{n} per member, {k} used", "redeem": "Redeem",
        "why_limit": "Limit reached", "why_sold_out": "All taken", "why_points": "Not enough points",
        "codes": "My codes", "no_codes": "Nothing redeemed yet", "events": "Community events",
        "no_events": "No events coming up", "places": "Places {taken}/{capacity}", "waiting": "{n} waiting",
        "sign_up": "Sign up", "join_wait": "Join the waiting list", "cancel": "Cancel", "leave_wait": "Leave the list",
        "confirmed": "Signed up", "checked_in": "Checked in", "waitlisted": "Waiting list: no. {n}",
        "done": "Done", "busy": "Sending…", "e403": "Your tier cannot redeem this benefit yet.",
        "e404": "Not found; please reload the page.",
        "e409": "Not possible: a limit is reached, not enough points, or the event is closed.",
        "e410": "This link has expired; please ask our hotline for a new one.",
        "e503": "Many owners at once; please try again.", "error": "Something went wrong; please try again.",
        "bad": "This link is not valid", "bad_text": "The link is incomplete or wrong; please open it again "
                                                  "from your message.",
        "expired": "This link has expired", "expired_text": "Club links expire to protect your data. Please call "
                                                          "our hotline for a new one.",
        "rule_survey": "Survey answered", "rule_event_checkin": "Event check-in",
        "rule_referral": "Referral", "rule_redemption": "Redeemed", "rule_expiry": "Expired",
        "noscript": "Please turn on JavaScript to act on this page.",
    },
}
TIER_EN = {"regular": "Regular", "silver": "Silver", "gold": "Gold", "diamond": "Diamond"}

SCRIPT = """
(function(){
var T=JSON.parse(document.getElementById('texts').textContent),msg=document.getElementById('message');
function say(text,cls){msg.className=cls;msg.textContent=text;msg.hidden=false;}
document.addEventListener('click',function(e){
 var b=e.target.closest('button[data-action]');if(!b)return;
 var a=b.dataset.action,base=location.pathname.replace(/\\/$/,''),url,init;
 if(a==='redeem'){url=base+'/redemptions';init={method:'POST',body:JSON.stringify({offer_id:b.dataset.id})};}
 else if(a==='signup'){url=base+'/signups';init={method:'POST',body:JSON.stringify({activity_id:b.dataset.id})};}
 else{url=base+'/signups/'+encodeURIComponent(b.dataset.id);init={method:'DELETE'};}
 init.headers={'Content-Type':'application/json','Accept':'application/json'};init.credentials='omit';
 b.disabled=true;say(T.busy,'muted');
 fetch(url,init).then(function(r){
  if(r.ok){location.reload();return;}
  say(T['e'+r.status]||T.error,'error');b.disabled=false;
 }).catch(function(){say(T.error,'error');b.disabled=false;});
});
})();
"""


def _when(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def _f(template: str, **values: Any) -> str:
    return escape(template.format(**values))


def _ledger(shown: dict[str, Any], t: dict[str, str]) -> str:
    if not shown["ledger"]:
        return f'<p class="muted">{escape(t["no_ledger"])}</p>'
    rows = "".join(
        f'<tr data-rule="{escape(e["rule"])}"><td>{_when(e["at"])[:10]}</td>'
        f'<td>{escape(t.get("rule_" + e["rule"], e["rule"]))}</td>'
        f'<td class="n">{"+" if e["points"] > 0 else ""}{e["points"]}</td></tr>' for e in shown["ledger"])
    more = (f'<p class="muted">{_f(t["of"], n=shown["ledger_entries"])}</p>'
            if shown["ledger_entries"] > len(shown["ledger"]) else "")
    return f'<table id="ledger"><tbody>{rows}</tbody></table>{more}'


def _offers(shown: dict[str, Any], t: dict[str, str]) -> str:
    if not shown["offers"]:
        return f'<p class="muted">{escape(t["no_offers"])}</p>'
    items = []
    for o in shown["offers"]:
        cost = _f(t["cost"], n=o["points_cost"]) if o["points_cost"] else escape(t["free"])
        action = (f'<button data-action="redeem" data-id="{escape(o["offer_id"])}">{escape(t["redeem"])}</button>'
                  if o["redeemable"] else f'<span class="tag">{escape(t["why_" + o["why_not"]])}</span>')
        merchant = f'{escape(o["merchant"])} · ' if o["merchant"] else ""
        items.append(f'<li data-offer-id="{escape(o["offer_id"])}" data-redeemable="{str(o["redeemable"]).lower()}">'
                     f'<div class="row"><div><strong>{escape(o["title"])}</strong><br><span class="muted">'
                     f'{merchant}{cost} · {_f(t["per_member"], n=o["limit_per_member"], k=o["redeemed"])}'
                     f'</span></div>{action}</div></li>')
    return f'<ul class="items" id="offers">{"".join(items)}</ul>'


def _codes(shown: dict[str, Any], t: dict[str, str]) -> str:
    if not shown["redemptions"]:
        return f'<p class="muted">{escape(t["no_codes"])}</p>'
    rows = "".join(f'<tr data-code="{escape(r["code"])}"><td><strong>{escape(r["code"])}</strong></td>'
                   f'<td>{escape(r["title"])}</td><td class="n">{_when(r["at"])[:10]}</td></tr>'
                   for r in shown["redemptions"])
    return f'<table id="codes"><tbody>{rows}</tbody></table>'


def _events(shown: dict[str, Any], t: dict[str, str]) -> str:
    if not shown["events"]:
        return f'<p class="muted">{escape(t["no_events"])}</p>'
    items = []
    for e in shown["events"]:
        aid, status = escape(e["activity_id"]), e["status"]
        full = e["taken"] >= e["capacity"]
        if status == "confirmed":
            tag, button = f'<span class="tag on">{escape(t["confirmed"])}</span>', ("cancel", t["cancel"])
        elif status == "waitlisted":
            tag = f'<span class="tag wait position">{_f(t["waitlisted"], n=e["waitlist_position"])}</span>'
            button = ("cancel", t["leave_wait"])
        elif status == "checked_in":
            tag, button = f'<span class="tag on">{escape(t["checked_in"])}</span>', None
        else:
            tag, button = "", ("signup", t["join_wait"] if full else t["sign_up"])
        action = (f'<button data-action="{button[0]}" data-id="{aid}"'
                  f'{" class=quiet" if button[0] == "cancel" else ""}>{escape(button[1])}</button>' if button else "")
        waiting = f' · {_f(t["waiting"], n=e["waiting"])}' if e["waiting"] else ""
        items.append(f'<li data-activity-id="{aid}" data-status="{status or ""}">'
                     f'<strong>{escape(e["title"])}</strong><br><span class="muted">{_when(e["starts_at"])}'
                     f'{" · " + escape(e["project"]) if e["project"] else ""}</span><br>'
                     f'<span class="muted">{_f(t["places"], taken=e["taken"], capacity=e["capacity"])}{waiting}'
                     f'</span><div class="row" style="margin-top:8px">{tag or "<span></span>"}{action}</div></li>')
    return f'<ul class="items" id="events">{"".join(items)}</ul>'


def _json(value: Any) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


def club(shown: dict[str, Any], locale: Locale) -> HTMLResponse:
    t = TEXTS[locale]
    tier = TIER_EN.get(shown["tier"], shown["tier_name"]) if locale == "en" else shown["tier_name"]
    vip = f' <span class="tag on">{escape(t["vip"])}</span>' if shown["vip"] else ""
    body = (
        f'<p id="message" role="status" aria-live="polite" hidden></p>'
        f'<section id="standing"><div class="row"><div><div class="muted">{escape(t["tier"])}</div>'
        f'<div class="tier" id="tier" data-tier="{escape(shown["tier"])}">{escape(tier)}{vip}</div></div>'
        f'<div style="text-align:right"><div class="muted">{escape(t["points"])}</div>'
        f'<div class="points" id="balance">{shown["balance"]}</div></div></div></section>'
        f'<section><h2>{escape(t["events"])}</h2>{_events(shown, t)}</section>'
        f'<section><h2>{escape(t["offers"])}</h2>{_offers(shown, t)}</section>'
        f'<section><h2>{escape(t["codes"])}</h2>{_codes(shown, t)}</section>'
        f'<section><h2>{escape(t["ledger"])}</h2>{_ledger(shown, t)}</section>'
        f'<noscript><p class="error">{escape(t["noscript"])}</p></noscript>'
        f'<script type="application/json" id="texts">{_json(t)}</script>')
    return page(t["title"], body, locale, subtitle=f'{t["member"]} {shown["member_id"]}', script=SCRIPT)


def refusal(status: int, locale: Locale) -> HTMLResponse:
    """A link that is not ours (404) or has expired (410)."""
    t = TEXTS[locale]
    key = "expired" if status == 410 else "bad"
    return state_page(t["title"], t[key], t[f"{key}_text"], locale, status)
