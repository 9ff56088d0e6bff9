"""Charts of the monthly report, made with matplotlib's Agg backend, as SVG (for the page) and PNG.

Axis labels are the stored codes (``engineering``, ``leak``), which every font renders; titles
get their Chinese too when a CJK font is installed (a server image often has none: then the
titles are English only and nothing is drawn as a tofu box). The HTML tables next to the charts
carry the Chinese names in any case. Text is drawn as paths in the SVG, so the page needs no font.
Only the object-oriented API is used (no pyplot, no global figures); drawings are serialised by a
lock, so the API can draw in a thread pool.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager  # noqa: E402 - after choosing the backend
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure as Chart  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from .build import Figure, MonthlyReport  # noqa: E402

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
                "WenQuanYi Zen Hei", "SimHei", "Microsoft YaHei", "PingFang SC")
# matplotlib does not promise thread safety (its font cache is shared): one drawing at a time.
_DRAWING = threading.Lock()
THIS, BEFORE, MET, MISSED, NONE = "#1f5fa8", "#b8c4d3", "#2e8b57", "#c0392b", "#9aa5b1"


@lru_cache(maxsize=1)
def cjk_family() -> str | None:
    """The first installed font that has Chinese glyphs, or None."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FAMILIES if name in installed), None)


def _text(chinese: str, english: str) -> str:
    return f"{chinese} {english}" if cjk_family() else english


def _key(key: str) -> str:
    """A key as a tick label: as it is when it can be drawn, else escaped (never a tofu box)."""
    return key if key.isascii() or cjk_family() else key.encode("ascii", "backslashreplace").decode()


def _font() -> dict[str, object]:
    """Text properties for titles that may hold Chinese: the CJK font first when there is one."""
    family = cjk_family()
    return {"fontfamily": [family, "DejaVu Sans"]} if family else {}


def _counts(report: MonthlyReport, section: str, title: str, keys_label: Callable[[str], str] = _key) -> Chart:
    """Horizontal bars, this month beside the previous one, one pair per key."""
    figures: list[Figure] = report.section(section)
    chart = Chart(figsize=(6.4, max(2.6, 1.2 + 0.42 * len(figures))), dpi=100, layout="constrained")
    ax: Axes = chart.add_subplot()
    ax.set_title(f"{title} ({report.month}{_project(report)})", fontsize=11, **_font())
    if not figures:
        ax.text(0.5, 0.5, "no cases", ha="center", va="center", transform=ax.transAxes, color=NONE)
        ax.set_axis_off()
        return chart
    rows = list(reversed(figures))  # first key on top
    ys = range(len(rows))
    h = 0.38
    this = ax.barh([y + h / 2 for y in ys], [f.value or 0 for f in rows], height=h, color=THIS, label=report.month)
    before = ax.barh([y - h / 2 for y in ys], [f.previous or 0 for f in rows], height=h, color=BEFORE,
                     label=report.previous_month)
    ax.bar_label(this, padding=2, fontsize=8)
    ax.bar_label(before, padding=2, fontsize=8, color="#555")
    ax.set_yticks(list(ys), [keys_label(f.name) for f in rows], fontsize=9, **_font())
    ax.set_xlabel("cases", fontsize=9)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.margins(x=0.12)
    chart.legend(handles=[this, before], fontsize=8, loc="outside lower center", ncols=2, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return chart


def _project(report: MonthlyReport) -> str:
    return f", {_key(report.project)}" if report.project else ""


def _targets(report: MonthlyReport) -> Chart:
    """Rates in percent and major complaints against their targets, this month (green met, red missed,
    grey no target or no data) beside the previous month (light)."""
    chart = Chart(figsize=(7.2, 3.8), dpi=100, layout="constrained")
    rates_ax, major_ax = chart.subplots(1, 2, width_ratios=[3, 1])
    chart.suptitle(f"{_text('质量目标', 'Quality targets')} ({report.month}{_project(report)})", fontsize=11,
                   **_font())
    rates = [("on_time_response_rate", "on-time response"), ("timely_resolution_rate", "timely resolution"),
             ("satisfaction_rate", "satisfaction")]
    for x, (name, _) in enumerate(rates):
        fig = report.figure("quality", name)
        assert fig is not None
        _pair(rates_ax, x, fig, scale=100, text=lambda v: f"{v:.1f}%")
    rates_ax.set_xticks(range(len(rates)), [_tick(report, name, tick) for name, tick in rates], fontsize=8)
    rates_ax.set_ylim(0, 112)
    rates_ax.set_ylabel("%", fontsize=9)
    rates_ax.spines[["top", "right"]].set_visible(False)
    chart.legend(handles=[Patch(color=MET, label=f"{report.month}: met"), Patch(color=MISSED, label="missed"),
                          Patch(color=NONE, label="no target / no data"),
                          Patch(color=BEFORE, label=report.previous_month),
                          Line2D([], [], color="#222", linestyle="dashed", linewidth=1, label="target")],
                 fontsize=7, loc="outside lower center", ncols=5, frameon=False)

    major = report.figure("quality", "major_complaints")
    assert major is not None and major.target is not None
    _pair(major_ax, 0, major, scale=1, text=lambda v: f"{v:g}")
    major_ax.set_xticks([0], [_tick(report, "major_complaints", "major complaints")], fontsize=8)
    major_ax.set_xlim(-0.6, 0.6)
    top = max(major.target.threshold, major.value or 0, major.previous or 0)
    major_ax.set_ylim(0, top * 1.35)
    major_ax.yaxis.get_major_locator().set_params(integer=True)
    major_ax.spines[["top", "right"]].set_visible(False)
    return chart


def _pair(ax: Axes, x: float, fig: Figure, scale: float, text: Callable[[float], str]) -> None:
    """This month's bar (coloured by the target) and the previous month's, with the target as a dashed line."""
    w = 0.36
    colour = NONE if fig.met is None else (MET if fig.met else MISSED)
    for dx, value, col in ((-w / 2, fig.value, colour), (w / 2, fig.previous, BEFORE)):
        if value is None:
            ax.text(x + dx, 1, "n/a", ha="center", va="bottom", fontsize=7, color=NONE)
            continue
        ax.bar(x + dx, value * scale, width=w, color=col)
        ax.text(x + dx, value * scale, text(value * scale), ha="center", va="bottom", fontsize=7,
                color="#1d2733" if col is not BEFORE else "#555")
    if fig.target is not None:
        ax.hlines(fig.target.threshold * scale, x - w - 0.04, x + w + 0.04, colors="#222", linestyles="dashed",
                  linewidth=1)


def _tick(report: MonthlyReport, name: str, text: str) -> str:
    fig = report.figure("quality", name)
    assert fig is not None
    if fig.target is None:
        return text.replace(" ", "\n", 1) + "\n(no target)"
    t = fig.target
    limit = f"{t.threshold * 100:g}%" if fig.unit == "share" else f"{t.threshold:g}"
    return text.replace(" ", "\n", 1) + f"\n(target {t.op}{limit})"


CHARTS: dict[str, Callable[[MonthlyReport], Chart]] = {
    "targets": _targets,
    "kind": lambda r: _counts(r, "kind", _text("按类型", "Cases by kind")),
    "category": lambda r: _counts(r, "category", _text("按问题类别", "Repairs and complaints by category")),
    "level": lambda r: _counts(r, "level", _text("按投诉等级", "Complaints by level"), lambda k: f"level {k}"),
    "department": lambda r: _counts(r, "department", _text("按责任部门", "Cases by department")),
}


def chart(report: MonthlyReport, name: str) -> Chart:
    """The named chart (a key of ``CHARTS``); KeyError for another name."""
    return CHARTS[name](report)


def chart_svg(report: MonthlyReport, name: str) -> str:
    buf = io.StringIO()
    with _DRAWING:
        chart(report, name).savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def chart_png(report: MonthlyReport, name: str, dpi: int = 144) -> bytes:
    buf = io.BytesIO()
    with _DRAWING:
        chart(report, name).savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def inline_svgs(report: MonthlyReport) -> dict[str, str]:
    """Every chart as an ``<svg>`` element ready to sit in an HTML page (no XML prologue)."""
    out = {}
    for name in CHARTS:
        svg = chart_svg(report, name)
        out[name] = svg[svg.index("<svg"):]
    return out
