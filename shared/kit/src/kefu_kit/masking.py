"""Masking of personal data in text: phone numbers, emails and Chinese ID numbers.

Logs must never show these in clear (PIPL, and plain good sense). The functions
here are pure; ``logging.py`` applies them to every log event.

Mainland mobiles and landlines are found by regular expressions: every log
line goes through them and they cost about 10 µs a field. What they do not
know (numbers of Hong Kong, Macao, Taiwan and abroad, ``+86 (0)571 ...``,
dotted groups like ``138.1234.5678``) is left to ``phonenumbers``'
``PhoneNumberMatcher``, which knows every country's numbering plan but costs
about ten times as much; it runs only on the rare text a cheap pre-check finds
such a shape in (a ``+`` before a digit, or digit groups split by dots or
brackets), so ordinary log lines never pay for it.
"""

from __future__ import annotations

import re
from typing import Any

import phonenumbers

# 18-digit resident ID (last may be X) and the old 15-digit form; checked before phones.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{3})(\d{11}|\d{8})(\d{3}[0-9Xx])(?![0-9A-Za-z])")
# Mainland mobiles, optionally +86 / 0086 / 86, with spaces or dashes anywhere.
_MOBILE = re.compile(r"(?<![\d+])(?:(?:\+|00)?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
# Landlines: area code 0xx / 0xxx then 7-8 digits, optional brackets, dashes, spaces.
_LANDLINE = re.compile(r"(?<![\d])(?:(?:\+|00)?86[\s-]?)?\(?(0\d{2,3})\)?[\s-]?(\d{3,4})[\s-]?(\d{4})(?!\d)")
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")

# Shapes of a phone number the regexes above do not catch, each behind the character it needs (an
# ``in`` test costs far less than a search): only text with one of them goes to the matcher.
_PLUS_DIGIT = re.compile(r"\+\s?\d")  # +852 ..., +1 ...
_BRACKET_DIGIT = re.compile(r"\d\)\s?\d")  # +86 (0)571 ...
_DOTTED = re.compile(r"\d\.\d{3,4}\.\d{4}")  # 138.1234.5678
# Company numbers, not personal data: 400/800 hotlines (the regexes leave them too).
_NOT_PERSONAL = frozenset({phonenumbers.PhoneNumberType.TOLL_FREE, phonenumbers.PhoneNumberType.SHARED_COST,
                           phonenumbers.PhoneNumberType.UAN})

SENSITIVE_KEYS = frozenset({"phone", "email", "id_number", "mobile", "tel", "telephone"})


# UUIDs (event ids, case ids) are never personal data, but their digit runs can look like a landline.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def mask_text(text: str) -> str:
    """Return ``text`` with every phone number, email and ID number masked (UUIDs left as they are)."""
    if _UUID.search(text):
        kept = _UUID.findall(text)
        masked = [_mask_plain(part) for part in _UUID.split(text)]
        return "".join(p + (kept[i] if i < len(kept) else "") for i, p in enumerate(masked))
    return _mask_plain(text)


def _mask_plain(text: str) -> str:
    text = _ID_NUMBER.sub(lambda m: f"{m.group(1)}{'*' * len(m.group(2))}{m.group(3)}", text)
    text = _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    text = _LANDLINE.sub(lambda m: f"{m.group(1)}-****{m.group(3)}", text)
    if (("+" in text and _PLUS_DIGIT.search(text)) or (")" in text and _BRACKET_DIGIT.search(text))
            or ("." in text and _DOTTED.search(text))):
        text = _mask_matched(text)
    return text


def _mask_matched(text: str) -> str:
    """Mask the numbers ``PhoneNumberMatcher`` finds (read as from mainland China): ``+852 ****4567``."""
    parts, end = [], 0
    for match in phonenumbers.PhoneNumberMatcher(text, "CN"):
        if phonenumbers.number_type(match.number) in _NOT_PERSONAL:
            continue
        national = str(match.number.national_number)
        parts += [text[end:match.start], f"+{match.number.country_code} ****{national[-4:]}"]
        end = match.end
    return "".join(parts) + text[end:] if parts else text


def mask_value(key: str | None, value: Any) -> Any:
    """Mask ``value`` recursively; a value under a sensitive key is masked whole."""
    if isinstance(value, str):
        if key is not None and key.lower() in SENSITIVE_KEYS:
            return _mask_whole(value)
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask_value(k if isinstance(k, str) else None, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(mask_value(key, v) for v in value)
    return value


def _mask_whole(value: str) -> str:
    """Keep only enough of a known-sensitive value to tell two apart."""
    masked = mask_text(value)
    if masked != value:
        return masked
    if len(value) <= 4:
        return "****"
    return value[:1] + "****" + value[-2:]
