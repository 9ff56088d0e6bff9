"""Masking of personal data in text: phone numbers, emails and Chinese ID numbers.

Logs must never show these in clear (PIPL, and plain good sense). The functions
here are pure; ``logging.py`` applies them to every log event.
"""

from __future__ import annotations

import re
from typing import Any

# 18-digit resident ID (last may be X) and the old 15-digit form; checked before phones.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{3})(\d{11}|\d{8})(\d{3}[0-9Xx])(?![0-9A-Za-z])")
# Mainland mobiles, optionally +86 / 0086 / 86, with spaces or dashes anywhere.
_MOBILE = re.compile(r"(?<![\d+])(?:(?:\+|00)?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
# Landlines: area code 0xx / 0xxx then 7-8 digits, optional brackets, dashes, spaces.
_LANDLINE = re.compile(r"(?<![\d])(?:(?:\+|00)?86[\s-]?)?\(?(0\d{2,3})\)?[\s-]?(\d{3,4})[\s-]?(\d{4})(?!\d)")
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")

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
    return text


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
