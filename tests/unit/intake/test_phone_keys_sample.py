"""The archive's phone keys do not move: the sample data keeps its keys, and the library agrees with them.

``data/sample_phone_keys.json`` holds every phone of the sample calls with the key the normaliser
gave it before ``phonenumbers`` came in (``data/labelled_contacts.jsonl`` has no caller phones).
A key that changed would split a customer in two.
"""

import json
from pathlib import Path

import phonenumbers
import pytest
from kefu_contracts import Caller
from kefu_intake.domain.identity import identify
from kefu_intake.domain.phones import InvalidPhone, normalise_phone

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "tools/cli/src/kefu_cli/data/sample_calls.jsonl"
KEYS = json.loads((Path(__file__).parent / "data/sample_phone_keys.json").read_text(encoding="utf-8"))


def sample_phones() -> list[str]:
    calls = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [c["caller"]["phone"] for c in calls if (c.get("caller") or {}).get("phone")]


def test_every_sample_phone_keeps_its_key() -> None:
    phones = sample_phones()
    assert len(phones) == 208 and set(phones) == set(KEYS)
    changed = {p: normalise_phone(p) for p in KEYS if normalise_phone(p) != KEYS[p]}
    assert changed == {}
    assert {identify(Caller(phone=p)).keys for p in KEYS} == {(f"phone:{k}",) for k in KEYS.values()}


def test_phonenumbers_reads_every_sample_phone_as_the_same_number() -> None:
    for raw, key in KEYS.items():
        number = phonenumbers.parse(raw, "CN")
        assert phonenumbers.is_valid_number(number), raw
        assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == key.replace("-", ""), raw


def test_where_the_library_is_worse_for_us_our_rules_keep_the_key() -> None:
    # A 7-digit number behind a 3-digit area code: the library's tables refuse it, and a key made
    # by the library would turn this caller into an "unverified" one, a second customer.
    assert not phonenumbers.is_valid_number(phonenumbers.parse("0755-1234567", "CN"))
    assert normalise_phone("0755-1234567") == "+86-755-1234567"
    # A mobile range missing from the library's tables keeps its key as well.
    assert not phonenumbers.is_valid_number(phonenumbers.parse("14912345678", "CN"))
    assert normalise_phone("14912345678") == "+8614912345678"


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("+852 9123 4567", "+85291234567"),  # Hong Kong mobile
        ("00852 2123 4567", "+85221234567"),  # Hong Kong fixed line, 00 prefix
        ("+853 6612 3456", "+85366123456"),  # Macao
        ("+886 912 345 678", "+886912345678"),  # Taiwan mobile
        ("+886 (0)2 2345 6789", "+886223456789"),  # the trunk 0 written after the code is not part of it...
        ("+886 2 2345 6789", "+886223456789"),  # ...so both ways are one caller
        ("+44 (0)20 7946 0958", "+442079460958"),
        ("+852 9123 4567 转 12", "+85291234567"),  # extension dropped
        ("+1 415 555 0100 ext. 12", "+14155550100"),
        ("0571 8765 4321 分机 806", "+86-571-87654321"),
        ("+999 12345678", "+99912345678"),  # unknown to the library: kept by its digits, as before
    ],
)
def test_numbers_outside_the_mainland(raw: str, key: str) -> None:
    assert normalise_phone(raw) == key


@pytest.mark.parametrize("raw", ["+852 91a3 4567", "电话: 13812345678", "+1 23", "++", "138-1234-567"])
def test_junk_is_refused(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        normalise_phone(raw)


def test_junk_with_enough_digits_is_kept_unverified_by_identity() -> None:
    assert identify(Caller(phone="138-1234-567")).keys == ("phone:unverified:1381234567",)
