"""The report as one self-contained HTML page: inline CSS, charts inline as SVG, the numbers beside them.

The page needs nothing else (no script, no font, no image files): it can be mailed to the general
manager or saved from the dashboard as it is. Headings are Chinese with English.
"""

from __future__ import annotations

from html import escape

from . import fmt
from .build import DIMENSIONS, Figure, MonthlyReport
from .labels import period_label, period_words, section_label
from .months import SHANGHAI

# Which chart sits beside which section's table.
CHART_OF_SECTION = {"quality": "targets", "kind": "kind", "category": "category", "level": "level",
                    "department": "department"}

_CSS = """
body{font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC","WenQuanYi Micro Hei",system-ui,sans-serif;
margin:24px auto;max-width:1180px;color:#1d2733;padding:0 16px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:2px solid #1f5fa8;padding-bottom:4px}
.meta{color:#566;margin:0 0 12px}
.row{display:flex;flex-wrap:wrap;gap:20px;align-items:flex-start}
.row>table{flex:1 1 420px}.row>figure{flex:1 1 460px;margin:0}
figure svg{max-width:100%;height:auto}
table{border-collapse:collapse;font-size:14px}th,td{border:1px solid #d5dbe3;padding:5px 8px}
th{background:#eef2f7;text-align:left;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
.met{color:#2e8b57;font-weight:600}.missed{color:#c0392b;font-weight:600}.na{color:#8a96a3}
footer{margin-top:32px;color:#566;font-size:13px}footer li{margin:3px 0}
"""

_DEFINITIONS = (
    "案件统计：本月新开案件 — counts are the cases opened in the month; 类别仅统计报修和有类别的投诉 "
    "(categories: repairs and complaints that have one); 投诉等级为达到的最高等级 (complaint level: the highest reached).",
    "响应及时率：有响应时限且已响应或已超时的案件中，在时限内响应的比例 — on-time response: among cases with a "
    "response deadline that were responded to or whose deadline has passed, the share responded by the deadline.",
    "问题解决及时率：同上，按解决时限 — timely resolution: the same with the resolution deadline "
    "(a reopened case counts as unresolved until it is resolved again).",
    "重大投诉：本月升级为三级的投诉 (群诉计一次) — major complaints: complaints escalated to level 3 in the month, "
    "a group complaint once.",
    "满意度：本月回访/调查中 CSAT 4-5 分的比例 — satisfaction: share of the month's answers with CSAT 4 or 5.",
    "NPS：推荐者 (9-10) 百分比减贬损者 (0-6) 百分比 — % promoters (9-10) minus % detractors (0-6).",
    "n/a：没有可计算的分母 — no denominator (nothing to judge), neither met nor missed.",
)


def report_html(report: MonthlyReport, charts: dict[str, str] | None = None) -> str:
    """The page; ``charts`` maps chart names to inline ``<svg>`` elements (``charts.inline_svgs``)."""
    charts = charts or {}
    w = period_words(report.period)
    project = escape(report.project) if report.project else "全部 all"
    parts = [
        "<!doctype html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{w['title']} {escape(report.month)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<header><h1>{w['title']}</h1>",
        f'<p class="meta">{w["period"]}: <strong>{escape(report.month)}</strong> ({escape(report.timezone)}) · '
        f"项目 Project: <strong>{project}</strong> · {w['compared']} {escape(report.previous_month)} · "
        f"生成时间 generated {escape(report.generated_at.strftime('%Y-%m-%d %H:%M UTC'))}</p></header>",
        _section(report, "quality", _quality_table(report.section("quality"), report), charts),
        _major(report),
        _section(report, "cases", _counts_table(report.section("cases"), report), charts),
    ]
    for dim in DIMENSIONS:
        parts.append(_section(report, dim, _counts_table(report.section(dim), report), charts))
    definitions = [w["tz"], *(_week_wording(d) if report.period == "week" else d for d in _DEFINITIONS)]
    parts.append("<footer><h2>口径 Definitions</h2><ul>"
                 + "".join(f"<li>{escape(d)}</li>" for d in definitions) + "</ul></footer>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _week_wording(text: str) -> str:
    """A definition of the monthly report read for a week: the same rule, another period."""
    return text.replace("本月", "本周").replace("in the month", "in the week").replace("the month's", "the week's")


def _section(report: MonthlyReport, section: str, table: str, charts: dict[str, str]) -> str:
    svg = charts.get(CHART_OF_SECTION.get(section, ""), "")
    chart = f"<figure>{svg}</figure>" if svg else ""
    return (f'<section id="{section}"><h2>{escape(section_label(section))}</h2>'
            f'<div class="row">{table}{chart}</div></section>')


def _quality_table(figures: list[Figure], report: MonthlyReport) -> str:
    w = period_words(report.period)
    head = (f"<tr><th>指标 Figure</th><th>{w['this']}</th><th>依据 Basis</th>"
            f"<th>{w['before']} {escape(report.previous_month)}</th><th>{w['change']}</th><th>目标 Target</th>"
            "<th>达标 Met</th></tr>")
    rows = []
    for f in figures:
        suffix = "%" if f.unit == "share" else ""
        value = fmt.number(f, f.value)
        previous = fmt.number(f, f.previous)
        rows.append(
            f"<tr><td>{escape(period_label(f.label, report.period))}</td>"
            f'<td class="n">{_na(value, suffix)}</td><td class="n">{escape(fmt.basis(f))}</td>'
            f'<td class="n">{_na(previous, suffix)}</td>'
            f'<td class="n">{_na(fmt.change(f), " pp" if suffix else "")}</td>'
            f"<td>{escape(fmt.target(f)) or '—'}</td><td>{_met(f)}</td></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _counts_table(figures: list[Figure], report: MonthlyReport) -> str:
    w = period_words(report.period)
    if not figures:
        return f'<p class="na">{w["none"]}无案件 no cases</p>'
    head = (f"<tr><th>项 Item</th><th>{w['none']} {escape(report.month)}</th>"
            f"<th>{w['before']} {escape(report.previous_month)}</th><th>{w['change']}</th></tr>")
    rows = "".join(f'<tr><td>{escape(period_label(f.label, report.period))}</td><td class="n">{fmt.number(f, f.value)}</td>'
                   f'<td class="n">{fmt.number(f, f.previous)}</td><td class="n">{fmt.change(f)}</td></tr>'
                   for f in figures)
    return f"<table>{head}{rows}</table>"


def _major(report: MonthlyReport) -> str:
    p = "week" if report.period == "week" else "month"
    title = f"<h2>重大投诉明细 Major complaints of the {p}</h2>"
    if not report.major_complaints:
        return (f'<section id="major-list">{title}<p class="na">{period_words(report.period)["none"]}无重大投诉 '
                f"none this {p}</p></section>")
    head = ("<tr><th>升级时间 Escalated (Asia/Shanghai)</th><th>案件 Case</th><th>群诉 Group</th><th>原因 Reason</th>"
            "<th>项目 Project</th><th>部门 Department</th><th>摘要 Summary</th></tr>")
    rows = "".join(
        f"<tr><td>{escape(m.at.astimezone(SHANGHAI).strftime('%Y-%m-%d %H:%M'))}</td><td>{escape(m.case_id)}</td>"
        f"<td>{escape(m.group_id or '')}</td><td>{escape(m.reason or '')}</td><td>{escape(m.project or '')}</td>"
        f"<td>{escape(m.department or '')}</td><td>{escape(m.summary or '')}</td></tr>"
        for m in report.major_complaints)
    return f'<section id="major-list">{title}<table>{head}{rows}</table></section>'


def _na(text: str, suffix: str) -> str:
    return f'<span class="na">{fmt.NA}</span>' if text == fmt.NA else escape(text + suffix)


def _met(f: Figure) -> str:
    if f.target is None:
        return "—"
    if f.met is None:
        return f'<span class="na">{fmt.NA}</span>'
    return '<span class="met">✓ 达标 met</span>' if f.met else '<span class="missed">✗ 未达标 missed</span>'
