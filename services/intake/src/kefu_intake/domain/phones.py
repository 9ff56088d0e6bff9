"""Normalising Chinese phone numbers, so one owner is one customer however the number was typed.

Agents and channels write the same number many ways: ``+86 138-1234-5678``,
``0086 13812345678``, ``(0571) 8765-4321``, ``0571 87654321 转 8``. The archive
keys customers by the canonical form:

* mobiles: ``+86`` and the 11 digits, e.g. ``+8613812345678``;
* landlines: ``+86-<area code without 0>-<number>``, e.g. ``+86-571-87654321``
  (two-digit area codes 10 and 20-29, three-digit ones otherwise);
* service numbers (400/800): ``+86-400-1234567``;
* numbers of other countries and regions (``+852``, ``+853``, ``+886``, ...):
  E.164 as ``phonenumbers`` reads them, which drops a trunk prefix written
  after the country code (``+886 (0)2 ...``, ``+44 (0)20 ...``) so both ways
  of writing are one key; a number the library does not know stays ``+`` and
  its 5-15 digits, as before, so its key does not change.

Mainland numbers stay with the rules below, not the library's: a key must not
change when the library's numbering tables do (they are renewed monthly and
refuse numbers we must still key, e.g. a 7-digit ``0755-1234567`` or a new
mobile range before it is listed), and for every number the library does
accept it gives the same key (``tests/unit/intake/test_phone_keys_sample.py``
checks that on the sample data).
"""

from __future__ import annotations

import re

import phonenumbers


class InvalidPhone(ValueError):
    """The text is not a phone number we can key a customer by."""


_EXTENSION = re.compile(r"(转|分机|ext\.?|x)\s*\d{1,6}\s*$", re.IGNORECASE)
_ALLOWED = re.compile(r"^[+\d\s\-().]+$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_TWO_DIGIT_AREAS = {"10", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29"}


def normalise_phone(raw: str) -> str:
    """Return the canonical form of a Chinese (or foreign) phone number; raise ``InvalidPhone``."""
    text = _EXTENSION.sub("", raw.strip().replace("（", "(").replace("）", ")").replace("＋", "+"))
    if not text or not _ALLOWED.match(text):
        raise InvalidPhone(f"not a phone number: {len(raw)} characters with letters or symbols")
    international = text.lstrip().startswith(("+", "00"))
    digits = re.sub(r"\D", "", text)
    if text.lstrip().startswith("00"):
        digits = digits[2:]
    if international or (len(digits) in (12, 13) and digits.startswith("86")):
        if not digits.startswith("86"):
            return _foreign(text, digits)
        return _national(digits[2:], had_country_code=True)
    return _national(digits, had_country_code=False)


def _national(digits: str, *, had_country_code: bool) -> str:
    if _MOBILE.match(digits):
        return f"+86{digits}"
    if digits.startswith(("400", "800")) and len(digits) == 10:
        return f"+86-{digits[:3]}-{digits[3:]}"
    if digits.startswith("0"):
        digits = digits[1:]
    elif not had_country_code:
        raise InvalidPhone(f"landline without area code or unknown format ({len(digits)} digits)")
    area_len = 2 if digits[:2] in _TWO_DIGIT_AREAS else 3
    area, number = digits[:area_len], digits[area_len:]
    if not (len(number) in (7, 8) and area and area[0] != "0"):
        raise InvalidPhone(f"not a Chinese landline ({len(digits)} digits)")
    return f"+86-{area}-{number}"


def _foreign(text: str, digits: str) -> str:
    if not 5 <= len(digits) <= 15:
        raise InvalidPhone(f"not an international number ({len(digits)} digits)")
    written = text.lstrip()
    written = "+" + written[2:] if written.startswith("00") else written
    try:
        number = phonenumbers.parse(written, None)
    except phonenumbers.NumberParseException:
        return f"+{digits}"
    if phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return f"+{digits}"


def normalise_email(raw: str) -> str:
    """Lower-case and trim an email address; raise ``ValueError`` when it has no ``@`` and domain."""
    email = raw.strip().lower()
    local, _, domain = email.rpartition("@")
    if not local or "." not in domain or " " in email:
        raise ValueError("not an email address")
    return email
