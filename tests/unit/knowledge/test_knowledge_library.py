"""The case library: an entry only for a closed case with a resolution, stripped of names, numbers and homes."""

from __future__ import annotations

from datetime import datetime, timezone

from kefu_contracts import CaseOpened, CaseStatusChanged
from kefu_knowledge.domain.library import (
    CANDIDATE,
    curated,
    entry_from,
    facts_from_opened,
    facts_from_status,
    refreshed,
)
from kefu_knowledge.domain.strip import strip_text

T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
CHAIN = {"event_id": "e", "occurred_at": T0, "correlation_id": "c", "causation_id": "c"}


def test_numbers_names_and_homes_are_stripped() -> None:
    text = ("我是3幢2单元1502室的张先生，电话138 1234 5678，座机0571-88776655，邮箱zhang.san@qq.com，"
            "身份证330102199001011234，我叫王小明，住5-2-1502")
    out = strip_text(text)
    for secret in ("1502", "5678", "88776655", "zhang.san", "qq.com", "199001011234", "张先生", "王小明", "3幢"):
        assert secret not in out, (secret, out)
    assert "[电话]" in out and "[邮箱]" in out and "[证件号]" in out and "[房号]" in out


def test_a_name_before_what_the_owner_did_is_stripped() -> None:
    for text in ("业主张三反映卫生间漏水", "联系人刘德明来电说地暖不热", "我叫陈小红：外墙渗水"):
        out = strip_text(text)
        assert not any(name in out for name in ("张三", "刘德明", "陈小红")), out
        assert "业主" in out


def test_the_building_and_unit_the_events_name_are_stripped_too() -> None:
    assert strip_text("A座东单元来电，阳台漏水", building="A座", unit="东单元") == "[房号]来电，阳台漏水"


def test_what_is_not_personal_stays() -> None:
    text = "更换了分水器排气阀，12月5号上门复查，地暖温度恢复到22度，物业400-800-1234不是业主号码"
    out = strip_text(text)
    assert "分水器排气阀" in out and "12月5号" in out and "22度" in out


def opened() -> CaseOpened:
    return CaseOpened(**CHAIN, case_id="K1", contact_id="call", customer_id="cust", channel="hotline",
                      kind="repair", classified_by="rules", category="地暖", building="7幢", unit="0302",
                      subject="地暖", body="7幢0302王先生：地暖不热，电话13912345678")


def changed(status: str, note: str | None = None, resolution: str | None = None) -> CaseStatusChanged:
    return CaseStatusChanged(**CHAIN, case_id="K1", customer_id="cust", status=status, actor="eng", kind="repair",
                             department="engineering", building="7幢", unit="0302", note=note, resolution=resolution)


def facts(*parts: dict) -> dict:
    merged: dict = {"_id": "K1"}
    for p in parts:
        merged.update(p)
    return merged


def test_an_entry_needs_the_problem_a_resolution_and_the_closing() -> None:
    problem = facts_from_opened(opened())
    resolved = facts_from_status(changed("resolved", note="清洗分水器，王先生确认已热"))
    closed = facts_from_status(changed("closed"))
    assert entry_from(facts(problem, resolved), T0) is None, "not closed yet"
    assert entry_from(facts(resolved, closed), T0) is None, "no problem text yet"
    assert entry_from(facts(problem, facts_from_status(changed("closed"))), T0) is None, "no resolution"
    entry = entry_from(facts(problem, resolved, closed), T0)
    assert entry["status"] == CANDIDATE and entry["department"] == "engineering"
    assert "13912345678" not in entry["problem"] and "王先生" not in entry["problem"] + entry["resolution"]
    assert "0302" not in entry["problem"] and "7幢" not in entry["problem"]
    assert "分水器" in entry["resolution"] and "地暖不热" in entry["problem"]


def test_the_contracts_resolution_wins_over_the_note_and_a_reopening_unclosed_the_case() -> None:
    problem = facts_from_opened(opened())
    resolved = facts_from_status(changed("resolved", note="已处理", resolution="更换温控阀"))
    closed = facts_from_status(changed("closed"))
    assert entry_from(facts(problem, resolved, closed), T0)["resolution"] == "更换温控阀"
    reopened = facts_from_status(changed("reopened"))
    assert entry_from(facts(problem, resolved, closed, reopened), T0) is None


def test_a_machine_entry_follows_its_case_but_a_curated_one_stays() -> None:
    problem = facts_from_opened(opened())
    first = entry_from(facts(problem, facts_from_status(changed("resolved", note="排气")),
                             facts_from_status(changed("closed"))), T0)
    again = entry_from(facts(problem, facts_from_status(changed("resolved", note="更换分水器")),
                             facts_from_status(changed("closed"))), T0)
    assert refreshed(first, first, T0) is None
    assert refreshed(first, again, T0)["resolution"] == "更换分水器"
    mine = curated(first, {"resolution": "排气后回访，电话13900001111"}, "supervisor", T0, status="promoted")
    assert "13900001111" not in mine["resolution"] and mine["status"] == "promoted" and mine["version"] == 2
    assert refreshed(mine, again, T0) is None
