import pytest
from kefu_kit.masking import mask_text, mask_value


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("业主电话13812345678请回电", "13812345678"),
        ("call +86 138-1234-5678 today", "1234"),
        ("0086 13912345678", "13912345678"),
        ("座机0571-87654321", "87654321"),
        ("座机(010)12345678", "12345678"),
        ("mail zhang.san@example.com now", "zhang.san"),
        ("身份证号330106199001011234", "19900101"),
        ("ID 33010619900101123X", "19900101"),
    ],
)
def test_personal_data_is_masked(text: str, secret: str) -> None:
    masked = mask_text(text)
    assert secret not in masked
    assert "*" in masked


def test_masked_phone_keeps_prefix_and_last_four_to_tell_calls_apart() -> None:
    assert mask_text("13812345678") == "138****5678"


def test_ordinary_numbers_are_left_alone() -> None:
    for text in ("房号1202", "3幢2单元", "金额12345.00元", "工单 WO-20261101-0001", "订单20261101000123456789"):
        assert mask_text(text) == text


def test_values_under_sensitive_keys_are_masked_even_when_unrecognised() -> None:
    masked = mask_value(None, {"caller": {"phone": "87654321", "name": "张三"}, "email": "someone"})
    assert masked["caller"]["phone"] != "87654321"
    assert masked["caller"]["name"] == "张三"
    assert masked["email"] != "someone"


def test_nested_lists_are_masked() -> None:
    assert mask_value("notes", ["13812345678", {"x": "a@b.cn"}]) == ["138****5678", {"x": "a***@b.cn"}]


def test_uuids_are_ids_not_phone_numbers_but_the_text_around_them_is_masked() -> None:
    # This event id's last group holds "0944424322", which reads as a landline (094-4424322).
    event_id = "call-d9ef446f-da42-4616-acb2-7d0944424322"
    assert mask_text(f"replay {event_id} for 13912345678") == f"replay {event_id} for 139****5678"
    assert mask_text(f"13912345678 {event_id} {event_id}") == f"139****5678 {event_id} {event_id}"
