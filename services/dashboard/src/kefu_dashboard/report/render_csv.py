"""The report as CSV, one row per figure, for Excel and for scripts.

UTF-8 with a byte order mark (Excel then reads the Chinese labels right) and CRLF line ends.
Columns:

* ``month``, ``project``: the report's month (YYYY-MM, Asia/Shanghai) and project ("" = all); the
  weekly report (周报) has ``week`` (YYYY-Www, an ISO week in Asia/Shanghai) instead of ``month``, and
  ``previous`` / ``change`` are then the previous ISO week and the week-on-week change;
* ``section``: ``cases`` (the total), ``kind``, ``category``, ``level``, ``channel``, ``project``,
  ``department`` (counts of the month's cases) or ``quality`` (the rates and targets);
* ``name``: the key counted (a stored code such as ``engineering``) or the quality figure
  (``on_time_response_rate``, ``timely_resolution_rate``, ``major_complaints``, ``satisfaction_rate``, ``nps``);
* ``label``: its name in Chinese with English;
* ``unit``: ``count``, ``%`` (a rate as a percentage, one decimal) or ``points`` (NPS, -100..100);
* ``value``, ``previous``: this month and the previous month; ``n/a`` when a rate has no denominator;
* ``change``: value - previous (for rates in percentage points), ``n/a`` when either is missing;
* ``target``: the seeds' target (``>=95%``, ``<5``, ``>80%``), empty when there is none;
* ``met``: ``yes`` / ``no`` against the target, ``n/a`` without a value, empty without a target;
* ``basis``, ``previous_basis``: what a rate was computed from (``35/37``; NPS: ``n=answers``).
"""

from __future__ import annotations

import csv
import io

from . import fmt
from .build import MonthlyReport
from .labels import period_label

COLUMNS = ("month", "project", "section", "name", "label", "unit", "value", "previous", "change", "target", "met",
           "basis", "previous_basis")
BOM = "\ufeff"


def report_csv(report: MonthlyReport) -> str:
    """The CSV text, starting with the BOM (encode it as UTF-8)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow((report.period, *COLUMNS[1:]))
    for f in report.figures:
        writer.writerow([report.month, report.project or "", f.section, f.name, period_label(f.label, report.period), fmt.unit(f),
                         fmt.number(f, f.value), fmt.number(f, f.previous), fmt.change(f), fmt.target(f), fmt.met(f),
                         fmt.basis(f), fmt.basis(f, previous=True)])
    return BOM + out.getvalue()
