"""The quality report (质检报告) as CSV: one row per scope (all, each project, each department), then the
worst cases under their own header after a blank line.

UTF-8 with a byte order mark and CRLF line ends, like the monthly report's CSV. Figure columns:

* ``scope``: ``all``, ``project`` or ``department``; ``key``: the project or department code; ``label``;
* ``repairs_opened``, ``repairs_completed`` (work orders completed), ``repeat_repairs``: counts;
* ``on_time_response``, ``on_time_completion``, ``repeat_rate``, ``return_visit_satisfaction``: percentages
  with one decimal (``n/a`` without a denominator), each with its ``*_basis`` (``7/9``);
* ``warranty_orders``, ``warranty_cost``, ``paid_orders``, ``paid_cost``: counts and CNY amounts.

Worst-case columns: ``case_id``, ``project``, ``department``, ``category``, ``unit``, ``opened_at``
(Asia/Shanghai), ``problems`` (``;``-separated), ``hours_late``, ``csat``, ``repeats_case``.
"""

from __future__ import annotations

import csv
import io

from .labels import name_label
from .months import SHANGHAI
from .quality import QualityReport, QualityRow
from .build import Ratio

COLUMNS = ("from", "to", "project_filter", "scope", "key", "label", "repairs_opened", "repairs_completed",
           "on_time_response", "on_time_response_basis", "on_time_completion", "on_time_completion_basis",
           "repeat_repairs", "repeat_rate", "repeat_rate_basis", "return_visit_satisfaction",
           "return_visit_satisfaction_basis", "warranty_orders", "warranty_cost", "paid_orders", "paid_cost")
WORST_COLUMNS = ("case_id", "project", "department", "category", "unit", "opened_at", "problems", "hours_late",
                 "csat", "repeats_case")
BOM = "\ufeff"
NA = "n/a"


def percent(r: Ratio) -> str:
    return NA if r.value is None else f"{r.value * 100:.1f}"


def basis(r: Ratio) -> str:
    return f"{r.numerator}/{r.denominator}"


def row_label(row: QualityRow) -> str:
    if row.scope == "all":
        return "全部报修 all repairs"
    return name_label(row.scope, row.key)


def quality_csv(report: QualityReport) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(COLUMNS)
    for r in report.rows():
        w.writerow([report.first, report.last, report.project or "", r.scope, r.key, row_label(r), r.opened,
                    r.completed, percent(r.response), basis(r.response), percent(r.completion), basis(r.completion),
                    r.repeats, percent(r.repeat_rate), basis(r.repeat_rate), percent(r.satisfaction),
                    basis(r.satisfaction), r.warranty_orders, f"{r.warranty_cost:.2f}", r.paid_orders,
                    f"{r.paid_cost:.2f}"])
    w.writerow([])
    w.writerow(WORST_COLUMNS)
    for c in report.worst:
        w.writerow([c.case_id, c.project, c.department, c.category or "", c.unit or "",
                    c.opened_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"), ";".join(c.problems),
                    "" if c.hours_late is None else f"{c.hours_late:.1f}", "" if c.csat is None else c.csat,
                    c.repeats_case or ""])
    return BOM + out.getvalue()
