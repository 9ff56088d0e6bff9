"""The quality report (质检报告) as one self-contained HTML page, styled like the monthly report's page."""

from __future__ import annotations

from html import escape

from .months import SHANGHAI
from .quality import QualityReport, QualityRow
from .quality_csv import NA, basis, percent, row_label
from .render_html import _CSS
from .build import Ratio

PROBLEMS = {"late_response": "响应超时 late response", "late_completion": "完工超时 late completion",
            "repeat": "90天内重复报修 repeat", "dissatisfied": "回访不满意 dissatisfied"}

_DEFINITIONS = (
    "期间按北京时间 (Asia/Shanghai) 整日计算，起止日均含 — whole days in Asia/Shanghai, both dates included.",
    "报修：类型为报修的案件；新开：期间内受理 — repairs opened: repair cases opened in the period.",
    "完工：期间内完成的工单 (返修再次完工另计) — completed: work orders completed in the period.",
    "响应/完工及时率：与投诉月报同一口径，有时限且已完成或已超时者中按时完成的比例 — on time: the monthly "
    "report's rule (among repairs with a deadline that were done or are past it, the share done by it).",
    "重复报修：同一房号、同一类别在前 90 天内已有报修 — repeat: the same unit and category had a repair "
    "opened in the 90 days before.",
    "回访满意度：期间内报修回访 CSAT 4-5 分的比例 — satisfaction: share of the period's repair return visits "
    "with CSAT 4 or 5.",
    "费用：期间内完工工单的费用，保修 (开发商承担) 与有偿服务分列 — cost of the work orders completed in the "
    "period, under warranty against paid service, CNY.",
    "部门：最后一张工单的责任部门或施工单位，无工单时为案件的责任部门 — department: the latest work order's "
    "(a contractor too), else the case's.",
    "最差案例：有上述问题的报修，问题多者在前，其次完工超时最久 — worst cases: repairs with any of those "
    "problems, most problems first, then the longest late completion.",
)


def _pct(r: Ratio) -> str:
    text = percent(r)
    return f'<span class="na">{NA}</span>' if text == NA else f"{text}% <small>({basis(r)})</small>"


def _table(rows: list[QualityRow], first: str) -> str:
    if not rows:
        return '<p class="na">无报修 no repairs</p>'
    head = (f"<tr><th>{escape(first)}</th><th>新开 Opened</th><th>完工 Completed</th><th>响应及时率 On-time response</th>"
            "<th>完工及时率 On-time completion</th><th>重复报修 Repeats</th><th>回访满意度 Satisfaction</th>"
            "<th>保修费用 Warranty (CNY)</th><th>有偿费用 Paid (CNY)</th></tr>")
    body = "".join(
        f"<tr><td>{escape(row_label(r))}</td><td class=\"n\">{r.opened}</td><td class=\"n\">{r.completed}</td>"
        f"<td class=\"n\">{_pct(r.response)}</td><td class=\"n\">{_pct(r.completion)}</td>"
        f"<td class=\"n\">{r.repeats} · {_pct(r.repeat_rate)}</td><td class=\"n\">{_pct(r.satisfaction)}</td>"
        f"<td class=\"n\">{r.warranty_cost:,.2f} <small>({r.warranty_orders})</small></td>"
        f"<td class=\"n\">{r.paid_cost:,.2f} <small>({r.paid_orders})</small></td></tr>" for r in rows)
    return f"<table>{head}{body}</table>"


def _worst(report: QualityReport) -> str:
    title = "<h2>最差案例 Worst cases</h2>"
    if not report.worst:
        return f'<section id="worst">{title}<p class="na">无 none</p></section>'
    head = ("<tr><th>案件 Case</th><th>受理 Opened (Asia/Shanghai)</th><th>项目 Project</th><th>部门 Department</th>"
            "<th>类别 Category</th><th>房号 Unit</th><th>问题 Problems</th><th>超时 Hours late</th><th>CSAT</th>"
            "<th>摘要 Summary</th></tr>")
    body = "".join(
        f"<tr><td>{escape(c.case_id)}</td><td>{escape(c.opened_at.astimezone(SHANGHAI).strftime('%Y-%m-%d %H:%M'))}"
        f"</td><td>{escape(c.project)}</td><td>{escape(c.department)}</td><td>{escape(c.category or '')}</td>"
        f"<td>{escape(c.unit or '')}</td><td>"
        + escape("; ".join(PROBLEMS.get(p, p) + (f" ({c.repeats_case})" if p == "repeat" and c.repeats_case else "")
                           for p in c.problems))
        + f"</td><td class=\"n\">{'' if c.hours_late is None else f'{c.hours_late:.1f}'}</td>"
        f"<td class=\"n\">{'' if c.csat is None else c.csat}</td><td>{escape(c.summary or '')}</td></tr>"
        for c in report.worst)
    return f'<section id="worst">{title}<table>{head}{body}</table></section>'


def quality_html(report: QualityReport, charts: dict[str, str] | None = None) -> str:
    charts = charts or {}
    project = escape(report.project) if report.project else "全部 all"
    period = f"{escape(report.first)} — {escape(report.last)}"

    def figure(name: str) -> str:
        return f"<figure>{charts[name]}</figure>" if name in charts else ""

    return "\n".join([
        "<!doctype html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>质检报告 Repair quality report {period}</title>",
        f"<style>{_CSS}</style></head><body>",
        "<header><h1>质检报告 Repair quality report</h1>",
        "<p class=\"meta\">物业公司与工程保修维修质量 — the property company and warranty repairs · "
        f"期间 Period: <strong>{period}</strong> ({escape(report.timezone)}) · 项目 Project: <strong>{project}</strong>"
        f" · 生成时间 generated {escape(report.generated_at.strftime('%Y-%m-%d %H:%M UTC'))}</p></header>",
        f'<section id="total"><h2>合计 All repairs</h2>{_table([report.total], "范围 Scope")}</section>',
        f'<section id="by-department"><h2>按责任部门/施工单位 By department or contractor</h2>'
        f'<div class="row">{_table(list(report.by_department), "部门 Department")}{figure("rates")}</div></section>',
        f'<section id="cost"><h2>保修与有偿费用 Cost: warranty and paid service</h2>'
        f'<div class="row">{figure("cost")}</div></section>',
        f'<section id="by-project"><h2>按项目 By project</h2>{_table(list(report.by_project), "项目 Project")}</section>',
        _worst(report),
        "<footer><h2>口径 Definitions</h2><ul>" + "".join(f"<li>{escape(d)}</li>" for d in _DEFINITIONS)
        + "</ul></footer>",
        "</body></html>",
    ])
