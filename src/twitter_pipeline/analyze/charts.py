"""Static charts for the report: matplotlib → SVG, embedded in the HTML as data URIs.

Why SVG with live text (``svg.fonttype = none``): labels are hashtags and handles in any script
(CJK, Arabic, emoji). Left as text, the browser renders them with the system's fonts and their
fallbacks; turned into paths by matplotlib they would come out as boxes whenever matplotlib's own
font lacks a glyph. Math parsing is off, so a ``$`` in a hashtag is just a dollar sign.
"""

from __future__ import annotations

import base64
import io
import itertools
import warnings
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")  # no display on servers and in Airflow workers

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter, MaxNLocator

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

# DejaVu Sans first: it is the font matplotlib measures labels with (it ships with matplotlib),
# so where the browser has it too the layout is exact; elsewhere the system font takes over.
FONT_STACK = [
    "DejaVu Sans",
    "system-ui",
    "Segoe UI",
    "Roboto",
    "Helvetica Neue",
    "Noto Sans",
    "Noto Sans CJK JP",
    "Noto Sans Arabic",
    "Arial",
    "Noto Color Emoji",
    "sans-serif",
]
INK, MUTED, GRID = "#1f2933", "#616e7c", "#e4e7eb"
ACCENT = "#2563eb"
PALETTE = ["#2563eb", "#0d9488", "#f59e0b", "#db2777", "#7c3aed", "#65a30d", "#ea580c", "#64748b"]
SENTIMENT_COLOURS = {
    "positive": "#16a34a",
    "neutral": "#94a3b8",
    "negative": "#dc2626",
    "unscored": "#e2e8f0",
}
LABEL_MAX = 28

_STYLE: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "twitter-pipeline",  # stable ids: the same lake renders the same bytes
    "text.parse_math": False,
    "font.family": "sans-serif",
    "font.sans-serif": FONT_STACK,
    "font.size": 10,
    "axes.edgecolor": GRID,
    "axes.labelcolor": MUTED,
    "axes.titlesize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": GRID,
    "grid.linewidth": 0.8,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "text.color": INK,
    "figure.dpi": 100,
}


def short(text: object, limit: int = LABEL_MAX) -> str:
    """A label cut to `limit` characters with an ellipsis (long handles and tags break layouts)."""
    value = "" if text is None else str(text)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _thousands(value: float, _pos: object = None) -> str:
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}M".replace(".0M", "M")
    if abs(value) >= 10_000:
        return f"{value / 1_000:.0f}k"
    return f"{value:,.0f}"


def _svg(fig: plt.Figure) -> str:
    buffer = io.StringIO()
    with warnings.catch_warnings():
        # Labels stay text (the browser picks fonts per glyph); matplotlib only measures them, and
        # its complaint about glyphs missing from its own font is noise here.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig.savefig(
            buffer,
            format="svg",
            bbox_inches="tight",
            pad_inches=0.3,
            transparent=True,
            metadata={"Date": None},
        )
    plt.close(fig)
    return buffer.getvalue()


def data_uri(svg: str) -> str:
    """An ``<img src>`` value: the SVG as base64 (isolates its ids and styles from the page)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def hbar(
    labels: Sequence[object], values: Sequence[float], *, colour: str = ACCENT, unit: str = "posts"
) -> str:
    """Horizontal bars, biggest on top, value printed at the bar's end."""
    with plt.rc_context(_STYLE):
        height = 0.9 + 0.32 * max(len(labels), 1)
        fig, ax = plt.subplots(figsize=(6.2, height))
        names = [short(label) for label in labels][::-1]
        numbers = list(values)[::-1]
        bars = ax.barh(range(len(numbers)), numbers, color=colour, height=0.68)
        ax.set_yticks(range(len(names)), names)
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="y", visible=False)
        ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
        ax.set_xlabel(unit)
        peak = max(numbers) if numbers else 1
        ax.set_xlim(0, peak * 1.15 if peak else 1)
        for bar, number in zip(bars, numbers, strict=True):
            ax.text(
                bar.get_width() + peak * 0.01,
                bar.get_y() + bar.get_height() / 2,
                _thousands(number),
                va="center",
                fontsize=8.5,
                color=MUTED,
            )
        return _svg(fig)


def columns(
    labels: Sequence[object], values: Sequence[float], *, colour: str = ACCENT, unit: str = "posts"
) -> str:
    """Vertical bars over ordered categories (histogram buckets, post kinds)."""
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(6.2, 3.2))
        names = [short(label, 14) for label in labels]
        bars = ax.bar(range(len(values)), list(values), color=colour, width=0.7)
        ax.set_xticks(range(len(names)), names)
        ax.tick_params(axis="x", length=0)
        ax.grid(axis="x", visible=False)
        ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.yaxis.set_major_locator(MaxNLocator(5, integer=True))
        ax.set_ylabel(unit)
        peak = max(values) if len(values) else 1
        ax.set_ylim(0, peak * 1.15 if peak else 1)
        for bar, number in zip(bars, values, strict=True):
            ax.text(
                bar.get_x() + bar.get_width() / 2,
                bar.get_height() + peak * 0.01,
                _thousands(number),
                ha="center",
                va="bottom",
                fontsize=8.5,
                color=MUTED,
            )
        return _svg(fig)


def _time_axis(ax: plt.Axes, times: Sequence[datetime]) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=8, tz="UTC")
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz="UTC"))
    ax.grid(axis="x", visible=False)


def _bar_width(times: Sequence[datetime]) -> float:
    """Bar width in days (matplotlib's date unit): 80 % of the bucket spacing."""
    if len(times) < 2:
        return 1 / 24 / 12 * 0.8
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times) if b > a]
    return (min(gaps) if gaps else 300) / 86_400 * 0.8


def time_bars(times: Sequence[datetime], values: Sequence[float], *, unit: str = "posts") -> str:
    """Posts per time bucket as bars (gaps stay visible as gaps)."""
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(13, 3.4))
        # datetimes: matplotlib's date converter places them (its stubs want numbers)
        starts: Any = list(times)
        ax.bar(starts, list(values), width=_bar_width(times), color=ACCENT, align="edge")
        _time_axis(ax, times)
        ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.yaxis.set_major_locator(MaxNLocator(5, integer=True))
        ax.set_ylabel(unit)
        ax.set_xlabel("UTC")
        return _svg(fig)


def sentiment_bars(
    times: Sequence[datetime],
    stacks: dict[str, Sequence[float]],
    mean_compound: Sequence[float | None],
) -> str:
    """Stacked posts per bucket by sentiment (+ unscored), and VADER's mean compound score below."""
    with plt.rc_context(_STYLE):
        fig, (top, bottom) = plt.subplots(
            2, 1, figsize=(13, 4.6), sharex=True, gridspec_kw={"height_ratios": [3, 1.2], "hspace": 0.12}
        )
        width = _bar_width(times)
        base = [0.0] * len(times)
        for name in ("negative", "neutral", "positive", "unscored"):
            values = [float(v) for v in stacks.get(name, [0.0] * len(times))]
            top.bar(
                list(times),
                values,
                width=width,
                bottom=base,
                align="edge",
                color=SENTIMENT_COLOURS[name],
                label=name if name != "unscored" else "not scored (not English)",
            )
            base = [b + v for b, v in zip(base, values, strict=True)]
        top.yaxis.set_major_formatter(FuncFormatter(_thousands))
        top.yaxis.set_major_locator(MaxNLocator(5, integer=True))
        top.set_ylabel("posts")
        top.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=9)
        top.grid(axis="x", visible=False)
        points = [(t, m) for t, m in zip(times, mean_compound, strict=True) if m is not None]
        if points:
            offset = width / 2
            xs = [mdates.date2num(t) + offset for t, _ in points]
            ys = [m for _, m in points]
            bottom.plot(xs, ys, color=INK, linewidth=1.4, marker="o", markersize=2.5)
        bottom.axhline(0, color=MUTED, linewidth=0.8)
        bottom.set_ylim(-1, 1)
        bottom.set_yticks([-1, 0, 1])
        bottom.set_ylabel("mean\ncompound")
        bottom.set_xlabel("UTC")
        _time_axis(bottom, times)
        return _svg(fig)


def reads_vs_budget(days: Sequence[datetime], reads: Sequence[int], month_budget: int | None) -> str:
    """Post reads per day as bars, the month's running total as a line, the monthly budget as a limit."""
    running: list[int] = []
    total, month = 0, None
    for day, value in zip(days, reads, strict=True):
        if (day.year, day.month) != month:
            total, month = 0, (day.year, day.month)
        total += value
        running.append(total)
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(13, 3.4))
        xs: Any = list(days)  # datetimes: matplotlib's date converter places them (its stubs want numbers)
        ax.bar(xs, list(reads), width=0.8, color=ACCENT, align="center", label="posts read per day")
        ax.step(xs, running, where="mid", color=PALETTE[1], label="this month so far")
        if month_budget is not None:
            ax.axhline(
                month_budget, color=PALETTE[3], linestyle="--", label=f"monthly budget {month_budget:,}"
            )
        _time_axis(ax, days)
        ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.yaxis.set_major_locator(MaxNLocator(5, integer=True))
        ax.set_ylabel("posts read")
        ax.set_xlabel("UTC day")
        ax.legend(loc="upper left", frameon=False)
        return _svg(fig)
