import copy
import json
from pathlib import Path
from typing import Any

import pytest
from kefu_intake.domain.classification import classify, default_taxonomy, parse_taxonomy
from kefu_intake.evaluate import evaluate, in_split, load_rows


def test_agent_kind_wins_but_rules_still_give_category_and_flags() -> None:
    result = classify("楼上漏水，燃气味也很重", agent_kind="complaint")
    assert result.kind == "complaint"
    assert result.category == "leak"
    assert "gas" in result.urgent_flags
    assert result.rules[0] == "agent:complaint"


def test_classification_is_explainable() -> None:
    result = classify("物业态度太差了，我要投诉")
    assert result.kind == "complaint"
    assert "complaint.explicit" in result.rules


def test_text_with_no_signal_is_an_inquiry() -> None:
    result = classify("你好")
    assert result.kind == "inquiry" and result.rules == ("default:inquiry",)


def test_a_repair_always_has_a_category() -> None:
    assert classify("家里东西坏了请来修").category == "other"


def test_taxonomy_rejects_rules_with_unknown_targets() -> None:
    data = {
        "version": "x",
        "kinds": {"priority": ["inquiry"], "default": "inquiry"},
        "categories": {"names": ["leak"]},
        "urgent": {"names": ["gas"]},
        "kind_rule": [{"id": "a", "kind": "complain", "any": ["投诉"]}],
    }
    with pytest.raises(ValueError, match="unknown target"):
        parse_taxonomy(data)


def test_shipped_taxonomy_loads() -> None:
    tax = default_taxonomy()
    assert set(tax.priority) == {"inquiry", "complaint", "suggestion", "repair", "praise"}
    assert len(tax.flags) == 10


# ---- a small taxonomy to test each mechanism on its own --------------------------------------


def _tax(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": "t",
        "kinds": {"priority": ["complaint", "repair", "praise", "inquiry"], "default": "inquiry"},
        "categories": {"names": ["leak", "plumbing", "other"]},
        "urgent": {"names": ["gas", "media"]},
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return data


def test_all_groups_need_one_word_of_each_group() -> None:
    tax = parse_taxonomy(
        _tax(kind_rule=[{"id": "ask.warranty", "kind": "praise", "all": [["保修"], ["吗", "?"]]}])
    )
    assert classify("漏水还在保修期吗", taxonomy=tax).kind == "praise"
    assert classify("漏水还在保修期", taxonomy=tax).kind == "inquiry"  # no question: the rule does not fire
    assert classify("这个可以吗", taxonomy=tax).kind == "inquiry"  # no warranty


def test_unless_cancels_a_rule() -> None:
    tax = parse_taxonomy(_tax(kind_rule=[{"id": "thanks", "kind": "praise", "any": ["谢谢"], "unless": ["re:请.*谢谢$"]}]))
    assert classify("谢谢你们", taxonomy=tax).kind == "praise"
    assert classify("请尽快处理，谢谢", taxonomy=tax).kind == "inquiry"


def test_negatable_rule_ignores_a_negated_word_in_the_same_clause() -> None:
    tax = parse_taxonomy(
        _tax(
            negation={"prefixes": ["不", "没"], "window": 3, "words": ["not"], "not_negations": ["特别"]},
            kind_rule=[{"id": "pleased", "kind": "praise", "any": ["满意", "helpful"], "negatable": True}],
        )
    )
    assert classify("我很满意", taxonomy=tax).kind == "praise"
    assert classify("我很不满意", taxonomy=tax).kind == "inquiry"
    assert classify("不太满意", taxonomy=tax).kind == "inquiry"
    assert classify("特别满意", taxonomy=tax).kind == "praise"  # 特别 contains 别 but negates nothing
    assert classify("不是第一次了，这次很满意", taxonomy=tax).kind == "praise"  # the negation is in another clause
    assert classify("the staff were not helpful", taxonomy=tax).kind == "inquiry"
    assert classify("the staff were very helpful", taxonomy=tax).kind == "praise"


def test_an_english_word_also_matches_its_regular_inflections() -> None:
    tax = parse_taxonomy(_tax(category_rule=[{"id": "leaks", "category": "leak", "any": ["leak", "pipe"]}]))
    for text in ("the pipes are noisy", "the roof leaked", "it is leaking", "two leaks"):
        assert classify(text, taxonomy=tax).category == "leak", text
    assert classify("the pipeline", taxonomy=tax).category is None  # still a whole word


def test_kind_prior_from_a_flag_and_its_unless() -> None:
    tax = parse_taxonomy(
        _tax(
            urgent_rule=[{"id": "u.gas", "flag": "gas", "any": ["燃气味"]}],
            kind_prior=[{"id": "p.now", "flags": ["gas"], "kind": "repair", "weight": 1.5, "unless": ["昨天"]}],
        )
    )
    now = classify("燃气味很重", taxonomy=tax)
    assert now.kind == "repair" and "p.now" in now.rules and now.urgent_flags == ("gas",)
    past = classify("昨天燃气味很重", taxonomy=tax)
    assert past.kind == "inquiry" and "p.now" not in past.rules


def test_fallback_rule_counts_only_when_nothing_else_fired() -> None:
    tax = parse_taxonomy(
        _tax(
            kind_rule=[
                {"id": "home", "kind": "repair", "fallback": True, "any": ["卫生间"]},
                {"id": "ask", "kind": "inquiry", "any": ["请问"]},
            ]
        )
    )
    assert classify("卫生间的地面一直有水", taxonomy=tax).rules[:1] == ("home",)
    assert classify("卫生间的地面一直有水", taxonomy=tax).kind == "repair"
    asked = classify("请问卫生间可以改吗", taxonomy=tax)
    assert asked.kind == "inquiry" and "home" not in asked.rules


def test_category_only_for_its_kinds_with_evidence_and_fallback() -> None:
    tax = parse_taxonomy(
        _tax(
            categories={"kinds": ["repair", "complaint"], "always": ["repair"], "fallback": "other", "evidence": {"complaint": ["fault"]}},
            kind_rule=[
                {"id": "fault", "kind": "repair", "any": ["漏水"]},
                {"id": "grief", "kind": "complaint", "weight": 3, "any": ["太差"]},
                {"id": "ask", "kind": "inquiry", "weight": 5, "any": ["请问"]},
            ],
            category_rule=[{"id": "c.leak", "category": "leak", "any": ["漏水", "外墙"]}],
        )
    )
    assert classify("外墙漏水", taxonomy=tax).category == "leak"
    assert classify("门坏了要修一下", agent_kind="repair", taxonomy=tax).category == "other"
    assert classify("外墙漏水，服务太差", taxonomy=tax).category == "leak"  # a complaint about a fault
    assert classify("修外墙的工人态度太差", taxonomy=tax).category is None  # names a place, describes no fault
    assert classify("请问外墙漏水怎么办", taxonomy=tax).category is None  # inquiries get no category


def test_category_ties_follow_the_tie_break_order() -> None:
    rules = [
        {"id": "c.leak", "category": "leak", "any": ["水"]},
        {"id": "c.plumbing", "category": "plumbing", "any": ["水"]},
    ]
    first = parse_taxonomy(_tax(categories={"tie_break": ["plumbing", "leak", "other"]}, category_rule=rules))
    second = parse_taxonomy(_tax(categories={"tie_break": ["leak", "plumbing", "other"]}, category_rule=rules))
    assert classify("有水", taxonomy=first).category == "plumbing"
    assert classify("有水", taxonomy=second).category == "leak"


def test_flags_are_kept_only_for_the_kinds_their_rule_allows() -> None:
    tax = parse_taxonomy(
        _tax(
            urgent={"kinds": ["repair", "complaint"]},
            urgent_rule=[
                {"id": "u.gas", "flag": "gas", "any": ["燃气味"]},
                {"id": "u.media", "flag": "media", "any": ["记者"], "kinds": ["complaint"]},
            ],
            kind_rule=[
                {"id": "fix", "kind": "repair", "any": ["派人"]},
                {"id": "thanks", "kind": "praise", "weight": 5, "any": ["谢谢"]},
            ],
        )
    )
    assert classify("燃气味，快派人", taxonomy=tax).urgent_flags == ("gas",)
    assert classify("上次燃气味你们马上派人来了，谢谢", taxonomy=tax).urgent_flags == ()
    assert classify("派人来，不然找记者", taxonomy=tax).urgent_flags == ()  # media only on a complaint


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind_rule": [{"id": "a", "kind": "inquiry", "any": ["x"], "colour": "red"}]}, "unknown fields"),
        ({"kind_rule": [{"id": "a", "kind": "inquiry", "any": ["re:("]}]}, "bad regular expression"),
        ({"kind_rule": [{"id": "a", "kind": "inquiry"}]}, "neither 'any' nor 'all'"),
        ({"kind_rule": [{"id": "a", "kind": "inquiry", "all": [[]]}]}, "'all' must be"),
        ({"kind_rule": [{"id": "a", "kind": "inquiry", "any": ["x"], "weight": -1}]}, "weight"),
        ({"kind_rule": [{"id": "a", "kind": "inquiry", "any": ["x"], "kinds": ["repair"]}]}, "'kinds' applies"),
        ({"kind_rule": [{"id": "a", "kind": "inquiry", "any": ["x"], "negatable": "yes"}]}, "negatable"),
        ({"category_rule": [{"id": "a", "category": "leak", "any": ["x"], "fallback": True}]}, "'fallback' applies"),
        ({"category_rule": [{"id": "a", "category": "leak", "any": ["x"], "kinds": ["repiar"]}]}, "unknown target"),
        ({"categories": {"kinds": ["repiar"]}}, "unknown target"),
        ({"categories": {"always": ["repair"]}}, "fallback"),
        ({"categories": {"fallback": "roof"}}, "unknown target"),
        ({"categories": {"tie_break": ["leak"]}}, "every category"),
        ({"categories": {"evidence": {"complaint": ["no.such.rule"]}}}, "unknown rule"),
        ({"categories": {"evidence": {"complaint": []}}}, "non-empty"),
        ({"urgent": {"kinds": ["emergency"]}}, "unknown target"),
        ({"kind_prior": [{"id": "p", "flags": ["smoke"], "kind": "repair"}]}, "unknown target"),
        ({"kind_prior": [{"id": "p", "flags": ["gas"], "kind": "fix"}]}, "unknown target"),
        ({"kind_prior": [{"id": "p", "flags": [], "kind": "repair"}]}, "names no flags"),
        ({"kind_prior": [{"id": "p", "flags": ["gas"], "kind": "repair", "when": "now"}]}, "unknown fields"),
        ({"negation": {"prefixes": [""]}}, "non-empty strings"),
        ({"kinds": {"default": "question"}}, "default kind"),
        (
            {
                "kind_rule": [{"id": "same", "kind": "inquiry", "any": ["x"]}],
                "kind_prior": [{"id": "same", "flags": ["gas"], "kind": "repair"}],
            },
            "unique",
        ),
    ],
)
def test_taxonomy_validation(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_taxonomy(_tax(**copy.deepcopy(change)))


# ---- the shipped taxonomy: one case per mechanism (the wider set is test_classification_cases.py) ----


def test_every_fired_rule_is_named_in_the_taxonomy() -> None:
    tax = default_taxonomy()
    known = {r.id for r in (*tax.kind_rules, *tax.category_rules, *tax.urgent_rules)} | {p.id for p in tax.kind_priors}
    result = classify("昨天电梯困人，打了三次电话都没人接，这合理吗？我要投诉到12345")
    for rule in result.rules:
        assert rule in known or rule.split(":")[0] in {"agent", "default", "fallback"}


def test_classification_is_deterministic() -> None:
    text = "卫生间漏水报修了两次还在漏，你们到底管不管？"
    assert classify(text) == classify(text)


def test_negated_satisfaction_is_a_complaint_and_satisfaction_is_praise() -> None:
    assert classify("这次维修我很满意，师傅很专业").kind == "praise"
    assert classify("对这次维修的结果很不满意").kind == "complaint"
    assert classify("I am not satisfied with how my case was handled").kind == "complaint"


def test_a_polite_thank_you_after_a_request_is_not_praise() -> None:
    result = classify("厨房水龙头一直滴水，麻烦尽快派人来看一下，谢谢！")
    assert result.kind == "repair" and "praise.thanks" not in result.rules


def test_warranty_question_is_an_inquiry_not_a_repair() -> None:
    result = classify("我家阳台门框有点渗水，交房快三年了，还在保修期内吗？")
    assert result.kind == "inquiry" and "inquiry.warranty_question" in result.rules
    assert result.category is None and result.urgent_flags == ()
    assert classify("Is the leak in our bathroom still covered by the warranty?").kind == "inquiry"


def test_repair_not_fixed_is_a_complaint_with_its_category() -> None:
    result = classify("卧室窗户漏水报修了三次，每次来看看就走，现在下雨还在漏。")
    assert result.kind == "complaint" and "complaint.repair_failed" in result.rules
    assert result.category == "leak"


def test_a_fault_back_after_a_repair_is_a_repair_unless_the_caller_complains() -> None:
    assert classify("上周修好的马桶又堵了，麻烦再派人来通一下。").kind == "repair"
    assert classify("上周修好的马桶又堵了，你们的维修根本就是糊弄。").kind == "complaint"


def test_first_report_sounding_irritated_is_still_a_repair() -> None:
    result = classify("家里的插座没电已经三天了，快点派个电工来！")
    assert result.kind == "repair" and result.category == "electrical"


def test_emergency_now_is_a_repair_with_its_flag() -> None:
    gas = classify("楼道里燃气味特别重，我不敢开灯，快来人！")
    assert gas.kind == "repair" and gas.urgent_flags == ("gas",) and "prior.hazard_now" in gas.rules
    assert gas.category == "other"
    lift = classify("I'm stuck in the lift in Building 2 with my daughter, please help!")
    assert lift.kind == "repair" and lift.urgent_flags == ("elevator_entrapment",) and lift.category == "public_area"


def test_past_emergency_protested_is_a_complaint_with_its_flag() -> None:
    result = classify("昨天我被困在电梯里半小时，按警铃一直没人应，你们的物业到底管不管？")
    assert result.kind == "complaint" and result.urgent_flags == ("elevator_entrapment",)
    assert result.category == "public_area"


def test_a_question_about_a_hazard_is_an_inquiry_without_flag() -> None:
    result = classify("如果家里闻到燃气味，应该先打哪个电话？")
    assert result.kind == "inquiry" and result.urgent_flags == ()


def test_preventive_suggestion_raises_no_flag() -> None:
    result = classify("建议物业在暴雨前给地下车库入口装挡水板，免得车库被淹。")
    assert result.kind == "suggestion" and result.urgent_flags == () and result.category is None


def test_thanks_for_a_past_rescue_raises_no_flag() -> None:
    result = classify("上个月家里燃气泄漏，你们的人十分钟就到了，特别感谢！")
    assert result.kind == "praise" and result.urgent_flags == ()


def test_escalation_threat_is_a_complaint_with_its_flag() -> None:
    result = classify("再不给我们解决，我们几十户业主就联名去住建局反映。")
    assert result.kind == "complaint"
    assert set(result.urgent_flags) == {"gov_hotline", "group_action"}


def test_conduct_complaint_naming_a_place_has_no_category() -> None:
    result = classify("你们修电梯的工人在楼道里大声打电话还抽烟，态度很差。")
    assert result.kind == "complaint" and result.category is None


def test_category_follows_the_building_system() -> None:
    assert classify("空调内机一直往下滴水").category == "heating_cooling"  # not a leak
    assert classify("楼上的水管爆了，水从我家天花板哗哗往下流！").category == "plumbing"
    assert classify("下雨的时候客厅窗户下面往里渗水").category == "leak"  # not the window
    assert classify("小区路灯坏了好几盏").category == "public_area"  # not electrical
    assert classify("门锁没电了打不开").category == "doors_windows"  # not electrical


def test_words_that_only_look_like_hazards_raise_no_flag() -> None:
    assert classify("The fire door on the 3rd floor does not close.").urgent_flags == ()
    assert classify("The fire door on the 3rd floor does not close.").category == "public_area"
    assert classify("The TV socket in the bedroom has no power.").urgent_flags == ()
    assert classify("The basketball court lights are broken.").urgent_flags == ()
    assert classify("It was pouring rain and the window leaked.").urgent_flags == ()
    assert classify("It was pouring rain and the window leaked.").category == "leak"
    assert classify("阳台的插座面板掉了，电线露在外面").urgent_flags == ()  # exposed wires, no shock stated


def test_each_kind_in_english() -> None:
    assert classify("The bathroom tap is dripping, could you send a plumber?").kind == "repair"
    assert classify("Nobody has come to fix our heating after three calls. This is unacceptable.").kind == "complaint"
    assert classify("What are the opening hours of the clubhouse?").kind == "inquiry"
    assert classify("It would be great to have more benches near the playground.").kind == "suggestion"
    assert classify("Many thanks to the security team for their help last night.").kind == "praise"


# ---- the evaluation split ----------------------------------------------------------------------


def test_split_is_every_fifth_line_for_test_and_the_rest_for_dev() -> None:
    assert [i for i in range(12) if in_split(i, "test")] == [0, 5, 10]
    assert [i for i in range(7) if in_split(i, "dev")] == [1, 2, 3, 4, 6]
    assert all(in_split(i, "all") for i in range(7))
    with pytest.raises(ValueError):
        in_split(0, "train")


def test_load_rows_splits_by_line_index(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    rows = [{"body": f"b{i}", "kind": "inquiry"} for i in range(11)]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    assert [r["body"] for r in load_rows(path, "test")] == ["b0", "b5", "b10"]
    assert len(load_rows(path, "dev")) == 8 and len(load_rows(path, "all")) == 11


def test_evaluate_counts_kind_category_and_flags() -> None:
    report = evaluate(
        [
            {"body": "楼道里燃气味很重，快来人！", "kind": "repair", "category": "other", "urgent": ["gas"]},
            {"body": "请问物业费怎么交？", "kind": "inquiry", "category": None, "urgent": []},
        ]
    )
    assert report.kind_accuracy == 1.0 and report.category_accuracy == 1.0
    assert report.category_exact == 2 and report.per_flag["gas"] == (1.0, 1.0, 1)
    assert report.flags_micro == (1.0, 1.0, 1)
