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


# The words that change between the monthly (投诉月报) and the weekly (周报) report.
_PERIOD_WORDS = {
    "month": {"title": "投诉月报 Monthly complaint report", "period": "月份 Month", "this": "本月 This month",
              "before": "上月", "change": "环比 Change", "compared": "环比 compared with",
              "tz": "月份按北京时间 (Asia/Shanghai) 自然月计算 — months are calendar months in Asia/Shanghai.",
              "none": "本月", "file": "kefu-report"},
    "week": {"title": "投诉周报 Weekly complaint report", "period": "周 ISO week", "this": "本周 This week",
             "before": "上周", "change": "周环比 Week on week", "compared": "周环比 compared with",
             "tz": "周按北京时间 (Asia/Shanghai) ISO 周 (周一至周日) 计算 — weeks are ISO weeks, Monday to Sunday, "
                   "in Asia/Shanghai; the week before is the previous ISO week.",
             "none": "本周", "file": "kefu-weekly"},
}


def period_words(period: str) -> dict[str, str]:
    """The monthly or weekly report's wording (``MonthlyReport.period``)."""
    return _PERIOD_WORDS[period]


def period_label(label: str, period: str) -> str:
    """A figure's label for the period: "本月新开案件" reads "本周新开案件" in the weekly report."""
    return label.replace("本月", "本周") if period == "week" else label
