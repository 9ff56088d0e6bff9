"""The owner-page shell: browsers get HTML, programs JSON; the language the owner reads; headers that keep the token."""

from starlette.requests import Request

from kefu_kit.owner_pages import locale_of, page, wants_html


def request(headers: dict[str, str] | None = None, query: str = "") -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return Request({"type": "http", "method": "GET", "path": "/s/x", "query_string": query.encode(), "headers": raw})


def test_a_browser_gets_html_and_programs_get_json() -> None:
    chrome = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
    assert wants_html(request({"Accept": chrome}))
    assert not wants_html(request({"Accept": "*/*"}))
    assert not wants_html(request())
    assert not wants_html(request({"Accept": "application/json"}))
    assert not wants_html(request({"Accept": "application/json, text/html"}))


def test_the_stored_locale_wins_then_the_query_then_the_browser() -> None:
    assert locale_of(request()) == "zh"
    assert locale_of(request({"Accept-Language": "en-US,en;q=0.9"})) == "en"
    assert locale_of(request({"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})) == "zh"
    assert locale_of(request({"Accept-Language": "fr, en;q=0.5, zh;q=0.4"})) == "en"
    assert locale_of(request({"Accept-Language": "en;q=0.2, zh-TW"})) == "zh"
    assert locale_of(request({"Accept-Language": "zh-CN"}, "lang=en")) == "en"
    assert locale_of(request({"Accept-Language": "en"}, "lang=zh")) == "zh"
    assert locale_of(request(query="lang=xx")) == "zh"
    assert locale_of(request(query="lang=zh"), stored="en") == "en"
    assert locale_of(request({"Accept-Language": "en;q=abc"})) == "en"


def test_a_page_is_whole_html_that_keeps_its_url_to_itself() -> None:
    out = page("标题 <x>", "<p>正文</p>", "zh", subtitle="副 & 标题", script="var a=1;", status_code=410)
    text = out.body.decode()
    assert out.status_code == 410 and out.media_type == "text/html"
    assert text.startswith("<!doctype html><html lang=\"zh-CN\">") and 'name="viewport"' in text
    assert "标题 &lt;x&gt;" in text and "副 &amp; 标题" in text and text.index("<p>正文</p>") < text.index("<script>")
    assert out.headers["referrer-policy"] == "no-referrer" and out.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in out.headers["content-security-policy"]
