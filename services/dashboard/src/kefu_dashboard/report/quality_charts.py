"""Charts of the quality report (质检报告), drawn like the monthly report's (``charts``: Agg, SVG text as
paths, one drawing at a time under its lock, Chinese titles only with a CJK font).

* ``rates``: per department or contractor, on-time response, on-time completion and return-visit
  satisfaction in percent (n/a where there is nothing to judge);
* ``cost``: per department or contractor, the cost of the work orders completed, under warranty
  beside paid service, in CNY.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from matplotlib.axes import Axes
from matplotlib.figure import Figure as Chart
from matplotlib.patches import Patch

from .charts import _DRAWING, BEFORE, MET, NONE, THIS, _font, _key, _text
from .quality import QualityReport

RATE_COLOURS = (THIS, "#e08e0b", MET)


def _period(report: QualityReport) -> str:
    return f"{report.first}..{report.last}" + (f", {_key(report.project)}" if report.project else "")


def _empty(ax: Axes) -> None:
    ax.text(0.5, 0.5, "no repairs", ha="center", va="center", transform=ax.transAxes, color=NONE)
    ax.set_axis_off()


def _rates(report: QualityReport) -> Chart:
    rows = list(report.by_department)
    chart = Chart(figsize=(7.2, 3.8), dpi=100, layout="constrained")
    ax: Axes = chart.add_subplot()
    ax.set_title(f"{_text('报修及时率与回访满意度', 'Repairs: on time and satisfaction')} ({_period(report)})",
                 fontsize=11, **_font())
    if not rows:
        _empty(ax)
        return chart
    w = 0.26
    names = ("on-time response", "on-time completion", "return-visit satisfaction")
    for i, (name, colour) in enumerate(zip(names, RATE_COLOURS)):
        for x, row in enumerate(rows):
            ratio = (row.response, row.completion, row.satisfaction)[i]
            dx = (i - 1) * w
            if ratio.value is None:
                ax.text(x + dx, 1, "n/a", ha="center", va="bottom", fontsize=7, color=NONE)
                continue
            ax.bar(x + dx, ratio.value * 100, width=w, color=colour)
            ax.text(x + dx, ratio.value * 100, f"{ratio.value * 100:.0f}", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(rows)), [_key(r.key) for r in rows], fontsize=8)
    ax.set_ylim(0, 112)
    ax.set_ylabel("%", fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    chart.legend(handles=[Patch(color=c, label=n) for n, c in zip(names, RATE_COLOURS)], fontsize=7,
                 loc="outside lower center", ncols=3, frameon=False)
    return chart


def _cost(report: QualityReport) -> Chart:
    rows = list(reversed(report.by_department))
    chart = Chart(figsize=(6.4, max(2.6, 1.4 + 0.5 * len(rows))), dpi=100, layout="constrained")
    ax: Axes = chart.add_subplot()
    ax.set_title(f"{_text('保修与有偿维修费用', 'Repair cost: warranty and paid service')} ({_period(report)})",
                 fontsize=11, **_font())
    if not rows:
        _empty(ax)
        return chart
    ys = range(len(rows))
    h = 0.38
    warranty = ax.barh([y + h / 2 for y in ys], [float(r.warranty_cost) for r in rows], height=h, color=THIS,
                       label="under warranty")
    paid = ax.barh([y - h / 2 for y in ys], [float(r.paid_cost) for r in rows], height=h, color=BEFORE,
                   label="paid service")
    ax.bar_label(warranty, labels=[f"{r.warranty_cost:,.2f} ({r.warranty_orders})" for r in rows], padding=2,
                 fontsize=7)
    ax.bar_label(paid, labels=[f"{r.paid_cost:,.2f} ({r.paid_orders})" for r in rows], padding=2, fontsize=7,
                 color="#555")
    ax.set_yticks(list(ys), [_key(r.key) for r in rows], fontsize=9)
    ax.set_xlabel("CNY (work orders)", fontsize=9)
    ax.margins(x=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    chart.legend(handles=[warranty, paid], fontsize=8, loc="outside lower center", ncols=2, frameon=False)
    return chart


CHARTS: dict[str, Callable[[QualityReport], Chart]] = {"rates": _rates, "cost": _cost}


def chart_svg(report: QualityReport, name: str) -> str:
    buf = io.StringIO()
    with _DRAWING:
        CHARTS[name](report).savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def chart_png(report: QualityReport, name: str, dpi: int = 144) -> bytes:
    buf = io.BytesIO()
    with _DRAWING:
        CHARTS[name](report).savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def inline_svgs(report: QualityReport) -> dict[str, str]:
    out = {}
    for name in CHARTS:
        svg = chart_svg(report, name)
        out[name] = svg[svg.index("<svg"):]
    return out
