"""The shell of the pages an owner opens from a link on a phone (the survey, the club page).

Why one shell: owners open these pages from an SMS or WeChat message on a phone, often on a slow
network. Each page is one server-rendered HTML document: readable before (and without) its
script, with inline CSS and a small inline script at the end, no framework, no fonts or image
files to fetch. The token in the URL is the owner's credential, so the page tells the browser to
keep it to itself: no referrer, no caching, no framing, nothing loaded from elsewhere.

Language: Chinese by default; English when the owner's stored locale says so, else ``?lang=en``,
else the browser's Accept-Language.
"""

from __future__ import annotations

from html import escape
from typing import Literal

from fastapi import Request
from fastapi.responses import HTMLResponse

Locale = Literal["zh", "en"]
LOCALES: tuple[Locale, ...] = ("zh", "en")

# Only inline style and script, requests to this service only (fetch, form posts): the token stays here.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
                               "connect-src 'self'; form-action 'self'; img-src data:; base-uri 'none'; "
                               "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}

# The page content HTML responses document in OpenAPI (next to the JSON of programs).
HTML_CONTENT = {"text/html": {"schema": {"type": "string"}}}

CSS = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.55 -apple-system,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",
"WenQuanYi Micro Hei",system-ui,sans-serif;color:#1d2733;background:#f3f5f8}
header{background:#1f5fa8;color:#fff;padding:16px 18px}
header h1{margin:0;font-size:20px;font-weight:600}
header p{margin:2px 0 0;font-size:13px;opacity:.85}
main{max-width:560px;margin:0 auto;padding:12px 12px 32px}
section,.card{background:#fff;border-radius:12px;padding:16px;margin:12px 0;box-shadow:0 1px 2px rgba(0,0,0,.06)}
h2{font-size:17px;margin:0 0 10px}
fieldset{border:0;margin:0 0 18px;padding:0}
legend{font-weight:600;margin-bottom:8px;padding:0}
textarea{width:100%;min-height:96px;font:inherit;padding:10px;border:1px solid #c9d1db;border-radius:8px}
button{font:inherit;border:0;border-radius:10px;padding:12px 18px;background:#1f5fa8;color:#fff;min-height:48px;
cursor:pointer}
button.wide{width:100%;font-size:17px}
button.quiet{background:#e8edf3;color:#1d2733}
button[disabled]{opacity:.55}
.stars{display:flex;flex-direction:row-reverse;justify-content:flex-end;gap:6px}
.stars input{position:absolute;opacity:0;width:1px;height:1px}
.stars label{font-size:40px;line-height:1;color:#c9d1db;cursor:pointer;padding:0 2px}
.stars input:checked~label,.stars label:hover,.stars label:hover~label{color:#f5a623}
.stars input:focus-visible+label{outline:2px solid #1f5fa8}
.choices{display:flex;gap:10px;flex-wrap:wrap}
.choices label{flex:1 1 0;min-width:44px;text-align:center;border:1px solid #c9d1db;border-radius:10px;
padding:10px 6px;cursor:pointer;background:#fff}
.choices input{position:absolute;opacity:0;width:1px;height:1px}
.choices input:checked+span{font-weight:700}
.choices label:has(input:checked){border-color:#1f5fa8;background:#e9f1fb;color:#1f5fa8}
.nps label{flex:0 0 calc(100%/6 - 9px)}
.muted{color:#5d6b7a;font-size:14px}
.error{color:#c0392b;font-weight:600}
.ok{color:#2e7d4f;font-weight:600}
.state{text-align:center;padding:36px 18px}
.state .big{font-size:46px;line-height:1.1;margin-bottom:8px}
.lang{float:right;color:#fff;font-size:13px}
table{width:100%;border-collapse:collapse;font-size:14px}
td,th{padding:6px 4px;border-bottom:1px solid #eef1f5;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.tier{font-size:26px;font-weight:700;color:#1f5fa8}
.points{font-size:30px;font-weight:700}
ul.items{list-style:none;margin:0;padding:0}
ul.items li{border-top:1px solid #eef1f5;padding:12px 0}
ul.items li:first-child{border-top:0}
.row{display:flex;justify-content:space-between;align-items:center;gap:10px}
.tag{display:inline-block;font-size:12px;border-radius:6px;padding:2px 8px;background:#e8edf3;white-space:nowrap}
.row>button,.row>.tag{flex-shrink:0}
.tag.on{background:#e3f4ea;color:#2e7d4f}.tag.wait{background:#fff4e0;color:#9a6200}
"""


def wants_html(request: Request) -> bool:
    """A browser asks for HTML first; programs (``*/*``, ``application/json``) keep getting JSON."""
    accept = request.headers.get("accept", "").lower()
    if "text/html" not in accept:
        return False
    json_at = accept.find("application/json")
    return json_at < 0 or accept.find("text/html") < json_at


def locale_of(request: Request, stored: str | None = None) -> Locale:
    """The owner's stored locale, else ``?lang=``, else the first of zh/en in Accept-Language; zh by default."""
    for choice in (stored, request.query_params.get("lang")):
        if choice in LOCALES:
            return choice  # type: ignore[return-value]
    ranked = []
    for i, part in enumerate(request.headers.get("accept-language", "").lower().split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        ranked.append((-q, i, tag.strip()))
    for _, _, tag in sorted(ranked):
        if tag.startswith("en"):
            return "en"
        if tag.startswith("zh"):
            return "zh"
    return "zh"


def page(title: str, body: str, locale: Locale, *, subtitle: str = "", script: str = "",
         status_code: int = 200) -> HTMLResponse:
    """A whole page: ``body`` is HTML the caller built (with ``escape`` for every value); ``script`` runs last."""
    html = (f'<!doctype html><html lang="{"zh-CN" if locale == "zh" else "en"}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1,viewport-fit=cover">'
            '<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex">'
            f'<title>{escape(title)}</title><style>{CSS}</style></head><body>'
            f'<header><h1>{escape(title)}</h1>{f"<p>{escape(subtitle)}</p>" if subtitle else ""}</header>'
            f'<main>{body}</main>{f"<script>{script}</script>" if script else ""}</body></html>')
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def state_page(title: str, headline: str, text: str, locale: Locale, status_code: int, mark: str = "!") -> HTMLResponse:
    """A page that only says something (used link, expired link, thank you)."""
    body = (f'<section class="state" id="state" data-status="{status_code}"><div class="big">{escape(mark)}</div>'
            f'<h2>{escape(headline)}</h2><p class="muted">{escape(text)}</p></section>')
    return page(title, body, locale, status_code=status_code)
