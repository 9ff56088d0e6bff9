"""Numbers the mainland regexes miss and ``phonenumbers``' matcher finds: masked all the same."""

import pytest
from kefu_kit.masking import mask_text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("香港业主 +852 9123 4567 来电", "香港业主 +852 ****4567 来电"),
        ("澳门 +853 6612 3456", "澳门 +853 ****3456"),
        ("台湾手机 +886 912 345 678", "台湾手机 +886 ****5678"),
        ("台北 +886 2 2345 6789", "台北 +886 ****6789"),
        ("UK office +44 (0)20 7946 0958", "UK office +44 ****0958"),
        ("call +1 415 555 0100 back", "call +1 ****0100 back"),
        ("tel 138.1234.5678", "tel +86 ****5678"),
        ("+86 (0)571 8765 4321", "+86 ****4321"),
    ],
)
def test_numbers_the_regexes_missed_are_masked(text: str, masked: str) -> None:
    assert mask_text(text) == masked


def test_the_regex_path_still_masks_mainland_numbers_the_same_way() -> None:
    assert mask_text("+86 138 1234 5678 and +852 9123 4567") == "138****5678 and +852 ****4567"


@pytest.mark.parametrize(
    "text",
    ["400-123-4567 客服热线", "+5% 涨幅", "v1.2.3 (build 4)", "2026-12-01T20:12:05.123456Z", "金额 1.234.5678"],
)
def test_company_hotlines_and_numbers_that_are_not_phones_are_left(text: str) -> None:
    assert mask_text(text) == text
