"""Display names (Chinese with English) for the report's sections, figures and keys (``labels.toml``).

The keys the report counts by are the stored codes (``engineering``, ``leak``); the tables show
``工程部 / 项目公司 engineering``. The order of the keys in the file is the order of the rows.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from typing import Any


@lru_cache(maxsize=1)
def _labels() -> dict[str, Any]:
    text = resources.files("kefu_dashboard.report").joinpath("labels.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def section_label(section: str) -> str:
    return _labels()["section"].get(section, section)


def name_label(section: str, name: str) -> str:
    return _labels()["name"].get(section, {}).get(name, name)


def ordered(section: str, keys: Iterable[str]) -> list[str]:
    """``keys`` in the file's order for ``section``, then any others alphabetically."""
    known = list(_labels()["name"].get(section, {}))
    present = set(keys)
    return [k for k in known if k in present] + sorted(present - set(known))
