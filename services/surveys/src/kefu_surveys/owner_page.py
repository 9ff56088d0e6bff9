"""The questionnaire page behind an owner's single-use link (``GET /s/{token}`` asked for by a browser).

Why a page here and not elsewhere: the link is this service's (its token is the credential), and
the answer must take exactly the path of ``POST /s/{token}``: the page's script posts the same
JSON to the same URL, so the questionnaire check, the single use and ``survey.answered`` (which
reopens and escalates a case in routing when the owner is dissatisfied) are the API's own.
The page is whole before its script runs (server-rendered: stars, choices and the comment are
plain radio buttons and a textarea); the script only sends the answer and shows the thanks.

Texts are Chinese, English when asked for (``?lang=en`` or the browser's language): surveys keep
no locale of the owner (notifications holds the owner's language preference).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from html import escape
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from kefu_kit.owner_pages import Locale, locale_of, page, state_page

from . import answers
from .context import Surveys
from .domain.answering import AnswerLink
from .domain.questionnaires import Questionnaire
from .domain.surveys import Survey

CHINA = timezone(timedelta(hours=8))

TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "brand": "客户服务中心", "case": "案件", "until": "有效期至", "submit": "提交", "sending": "正在提交…",
        "yes": "是，已解决", "no": "否，未解决", "optional": "（选填）", "stars_hint": "1 星 非常不满意，5 星 非常满意",
        "nps_hint": "0 完全不可能，10 非常可能", "comment_ph": "请写下您的意见或建议",
        "thanks": "感谢您的反馈！", "thanks_text": "您的评价已提交。如问题仍未解决，我们会尽快与您联系。",
        "thanks_ok": "您的评价已提交，祝您生活愉快。",
        "used": "此链接已使用", "used_text": "每个链接只能提交一次。如您已提交，感谢您的反馈。",
        "expired": "此链接已过期", "expired_text": "问卷已超过有效期。如需反馈，请致电客服热线。",
        "unknown": "找不到此问卷", "unknown_text": "链接不完整或有误，请从短信或微信中重新打开。",
        "answered": "此问卷已有答复", "answered_text": "客服专员已记录了您的回访意见，感谢您的支持。",
        "s404": "找不到此问卷。", "s409": "此问卷已有答复。", "s410": "此链接已使用或已过期。",
        "s422": "请完成必答题后再提交。", "error": "提交失败，请稍后再试。", "network": "网络不稳定，请稍后再试。",
        "noscript": "请开启浏览器的 JavaScript 后提交。", "star": "星",
    },
    "en": {
        "brand": "Customer Service Center", "case": "Case", "until": "Open until", "submit": "Submit",
        "sending": "Sending…", "yes": "Yes, solved", "no": "No, not solved", "optional": " (optional)",
        "stars_hint": "1 star: very dissatisfied, 5 stars: very satisfied",
        "nps_hint": "0: not at all likely, 10: extremely likely", "comment_ph": "Your comments or suggestions",
        "thanks": "Thank you for your feedback!",
        "thanks_text": "Your answer was sent. If the problem is not solved, we will contact you soon.",
        "thanks_ok": "Your answer was sent. Have a nice day.",
        "used": "This link has been used", "used_text": "Each link takes one answer. If you sent yours, thank you.",
        "expired": "This link has expired", "expired_text": "The survey is closed. Please call our hotline "
                                                            "if you would like to tell us something.",
        "unknown": "Survey not found", "unknown_text": "The link is incomplete or wrong; please open it again "
                                                      "from your message.",
        "answered": "This survey has been answered",
        "answered_text": "Our agent has recorded your answer on the phone. Thank you.",
        "s404": "Survey not found.", "s409": "This survey has been answered already.",
        "s410": "This link has been used or has expired.", "s422": "Please answer the required questions.",
        "error": "Sending failed; please try again later.", "network": "The network is unsteady; please try again.",
        "noscript": "Please turn on JavaScript to send your answer.", "star": "stars",
    },
}

# English wording of the questionnaires (questionnaires.toml holds the Chinese).
TITLES_EN = {"return-visit-v1": "How did we do?", "satisfaction-v1": "Owner satisfaction survey",
             "event-feedback-v1": "Community event feedback"}
QUESTIONS_EN = {
    ("return-visit-v1", "csat"): "How satisfied are you with how we handled it?",
    ("return-visit-v1", "solved"): "Has the problem you reported been solved?",
    ("return-visit-v1", "comment"): "Anything else you would like to tell us?",
    ("satisfaction-v1", "nps"): "How likely are you to recommend our homes and property services to friends?",
    ("satisfaction-v1", "csat"): "Overall, are you satisfied with our customer service?",
    ("satisfaction-v1", "comment"): "What would you most like us to improve?",
    ("event-feedback-v1", "csat"): "Were you satisfied with the event?",
    ("event-feedback-v1", "nps"): "How likely are you to recommend the next event to a neighbour?",
    ("event-feedback-v1", "comment"): "What events would you like us to hold?",
}
FIELD_EN = {"csat": "How satisfied are you?", "solved": "Has it been solved?",
            "nps": "How likely are you to recommend us?", "comment": "Your comments"}

SCRIPT = """
(function(){
var f=document.getElementById('survey');if(!f)return;
var T=JSON.parse(document.getElementById('texts').textContent);
var msg=document.getElementById('message'),btn=f.querySelector('button[type=submit]');
f.addEventListener('submit',function(e){
 e.preventDefault();if(!f.reportValidity())return;
 var body={};
 (f.dataset.fields||'').split(',').forEach(function(k){
  var el=f.elements[k];if(!el)return;var v=el.value;
  if(k==='comment'){v=v.trim();body[k]=v?v:null;}
  else if(k==='solved'){body[k]=v===''?null:v==='true';}
  else{body[k]=v===''?null:parseInt(v,10);}
 });
 btn.disabled=true;msg.className='muted';msg.textContent=T.sending;
 fetch(location.pathname,{method:'POST',credentials:'omit',
  headers:{'Content-Type':'application/json','Accept':'application/json'},body:JSON.stringify(body)})
 .then(function(r){
  if(r.status===201){
   var bad=(body.csat!=null&&body.csat<=2)||body.solved===false;
   document.getElementById('thanks-text').textContent=bad?T.thanks_text:T.thanks_ok;
   f.hidden=true;document.getElementById('thanks').hidden=false;window.scrollTo(0,0);return;}
  msg.className='error';msg.textContent=T['s'+r.status]||T.error;
  btn.disabled=!(r.status===422||r.status>=500);
 }).catch(function(){msg.className='error';msg.textContent=T.network;btn.disabled=false;});
});
})();
"""


def _when(value: datetime) -> str:
    if value.tzinfo is None:  # the store gives naive UTC
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def _title(q: Questionnaire, locale: Locale) -> str:
    return TITLES_EN.get(q.id, q.title) if locale == "en" else q.title


def _question_text(q: Questionnaire, field: str, text: str, locale: Locale) -> str:
    return QUESTIONS_EN.get((q.id, field), FIELD_EN.get(field, text)) if locale == "en" else text


def _choices(name: str, options: list[tuple[str, str]], required: bool, extra_class: str = "") -> str:
    req = " required" if required else ""
    items = "".join(f'<label><input type="radio" name="{name}" id="{name}-{v}" value="{v}"{req}>'
                    f'<span>{escape(text)}</span></label>' for v, text in options)
    return f'<div class="choices {extra_class}">{items}</div>'


def _question(q: Questionnaire, field: str, text: str, required: bool, t: dict[str, str], locale: Locale) -> str:
    legend = escape(_question_text(q, field, text, locale)) + ("" if required else escape(t["optional"]))
    req = " required" if required else ""
    if field == "csat":
        stars = "".join(f'<input type="radio" name="csat" id="csat-{v}" value="{v}"{req}>'
                        f'<label for="csat-{v}" title="{v} {escape(t["star"])}" aria-label="{v}">★</label>'
                        for v in range(5, 0, -1))  # reversed: CSS lights a checked star and those before it
        control = f'<div class="stars">{stars}</div><p class="muted">{escape(t["stars_hint"])}</p>'
    elif field == "solved":
        control = _choices("solved", [("true", t["yes"]), ("false", t["no"])], required)
    elif field == "nps":
        control = (_choices("nps", [(str(v), str(v)) for v in range(11)], required, "nps")
                   + f'<p class="muted">{escape(t["nps_hint"])}</p>')
    else:
        control = (f'<textarea name="comment" id="comment" maxlength="2000" '
                   f'placeholder="{escape(t["comment_ph"])}"{req}></textarea>')
    return f'<fieldset data-field="{field}"><legend>{legend}</legend>{control}</fieldset>'


def questionnaire_page(link: AnswerLink, survey: Survey, q: Questionnaire, locale: Locale) -> HTMLResponse:
    t = TEXTS[locale]
    public = q.public()
    fields = [x["field"] for x in public["questions"]]
    questions = "".join(_question(q, x["field"], x["text"], x["required"], t, locale) for x in public["questions"])
    case = f'{t["case"]} {survey.case_id} · ' if survey.case_id else ""
    subtitle = f'{t["brand"]} · {case}{t["until"]} {_when(link.expires_at)}'
    body = (f'<form id="survey" data-fields="{",".join(fields)}" data-survey-id="{escape(survey.id)}" novalidate>'
            f'<section>{questions}<noscript><p class="error">{escape(t["noscript"])}</p></noscript>'
            f'<button type="submit" class="wide">{escape(t["submit"])}</button>'
            f'<p id="message" class="muted" role="status" aria-live="polite"></p></section></form>'
            f'<section id="thanks" class="state" hidden><div class="big">✓</div><h2>{escape(t["thanks"])}</h2>'
            f'<p class="muted" id="thanks-text">{escape(t["thanks_ok"])}</p></section>'
            f'<script type="application/json" id="texts">{_json(t)}</script>')
    return page(_title(q, locale), body, locale, subtitle=subtitle, script=SCRIPT)


def _json(value: Any) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


def refusal_page(exc: Exception, locale: Locale) -> HTMLResponse:
    """What the owner sees for an unknown, used or expired link, or a survey an agent answered."""
    t = TEXTS[locale]
    if isinstance(exc, answers.Gone):
        key, status = ("expired" if "expired" in str(exc) else "used"), 410
    elif isinstance(exc, answers.Conflict):
        key, status = "answered", 409
    else:
        key, status = "unknown", 404
    return state_page(t["brand"], t[key], t[f"{key}_text"], locale, status, mark="✓" if key == "answered" else "!")


async def show(r: Surveys, token: str, request: Request, now: datetime) -> HTMLResponse:
    """The page for a browser: the questionnaire, or why the link no longer works (same checks as the JSON)."""
    locale = locale_of(request)
    try:
        link, survey = await answers.open_link(r, token, now)
    except (answers.NotFound, answers.Gone, answers.Conflict) as exc:
        return refusal_page(exc, locale)
    return questionnaire_page(link, survey, answers.questionnaire_of(r, survey), locale)
