"""How the renderers write a figure's numbers: shares as percentages with one decimal, "n/a" for none.

One place, so the CSV and the page never disagree on a rounding.
"""

from __future__ import annotations

from .build import Figure
from .targets import Target

NA = "n/a"


def number(fig: Figure, value: float | None) -> str:
    """A value or previous value: ``94.6`` for a share (in %), ``12`` for a count or a score."""
    if value is None:
        return NA
    if fig.unit == "share":
        return f"{value * 100:.1f}"
    return str(int(value))


def change(fig: Figure) -> str:
    """This month minus the previous, signed; shares in percentage points."""
    delta = fig.change
    if delta is None:
        return NA
    if fig.unit == "share":
        text = f"{delta * 100:+.1f}"
        return "0.0" if text in ("+0.0", "-0.0") else text
    return f"{int(delta):+d}" if delta else "0"


def target(fig: Figure) -> str:
    t: Target | None = fig.target
    if t is None:
        return ""
    return f"{t.op}{t.threshold * 100:g}%" if fig.unit == "share" else f"{t.op}{t.threshold:g}"


def met(fig: Figure) -> str:
    if fig.target is None:
        return ""
    return NA if fig.met is None else ("yes" if fig.met else "no")


def basis(fig: Figure, previous: bool = False) -> str:
    """What a share or score was computed from: ``35/37`` or ``n=12``."""
    num = fig.previous_numerator if previous else fig.numerator
    den = fig.previous_denominator if previous else fig.denominator
    if den is None:
        return ""
    return f"{num}/{den}" if num is not None else f"n={den}"


def unit(fig: Figure) -> str:
    return {"share": "%", "score": "points", "count": "count"}.get(fig.unit, fig.unit)
