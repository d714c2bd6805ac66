#!/usr/bin/env python3
"""Renders the Overview dashboard's panels of one real run to a PNG, laid out like Grafana.

Input: the JSON e2e/demo.mjs writes (the dashboard's panels, each with its gridPos, unit and the
series Prometheus returned for its queries). Output: a PNG in Grafana's dark look. Headless
(Agg); needs only matplotlib (e2e/demo-requirements.txt).

    .venv/bin/python e2e/render_overview.py overview-series.json docs/overview.png
"""
import json
import math
import sys
from datetime import datetime, timezone

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyBboxPatch, Rectangle  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

# Grafana's dark theme and its classic palette.
BG = "#111217"
PANEL = "#181b1f"
BORDER = "#2a2d33"
TEXT = "#ccccdc"
DIM = "#8e8e9e"
GRID = "#2c2f36"
GREEN = "#73BF69"
PALETTE = ["#73BF69", "#F2CC0C", "#8AB8FF", "#FF780A", "#F2495C", "#5794F2", "#B877D9", "#705DA0", "#37872D", "#FADE2A"]

WIDTH_IN = 14.0  # 1400 px at 100 dpi
DPI = 100
UNIT_H_IN = 0.31  # one gridPos row (Grafana: 30 px + margins)
MARGIN_IN = 0.08
HEADER_IN = 0.55
FOOTER_IN = 0.6


def trim(x):
    s = f"{x:.3f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def sig(x, digits=3):
    """A number with about `digits` significant digits, no exponent."""
    if x == 0 or not math.isfinite(x):
        return trim(x) if math.isfinite(x) else str(x)
    d = max(0, digits - 1 - int(math.floor(math.log10(abs(x)))))
    return f"{x:.{min(d, 9)}f}".rstrip("0").rstrip(".") if d > 0 else f"{x:.0f}"


def fmt(unit, v, decimals=None):
    """Values as Grafana's units print them (short, currencyUSD, percentunit, ms, s, ops)."""
    if v is None or not math.isfinite(v):
        return "-"
    if unit == "currencyUSD":
        if decimals is not None:
            return f"${v:,.{decimals}f}"
        return "$" + sig(v)
    if unit == "percentunit":
        return sig(v * 100) + "%"
    if unit == "ms":
        if abs(v) >= 1000:
            return sig(v / 1000) + " s"
        return sig(v) + " ms"
    if unit == "s":
        if abs(v) < 1 and v != 0:
            return sig(v * 1000) + " ms"
        return sig(v) + " s"
    if unit == "ops":
        return short(v) + " ops/s"
    return short(v)


def short(v):
    for scale, suffix in ((1e9, " Bil"), (1e6, " Mil"), (1e3, " K")):
        if abs(v) >= scale:
            return sig(v / scale) + suffix
    return sig(v)


def finite(points):
    return [(t, v) for t, v in points if v is not None and math.isfinite(v)]


def has_data(panel):
    return any(finite(s["points"]) for s in panel["series"])


def no_data(ax):
    ax.text(0.5, 0.45, "No data", transform=ax.transAxes, ha="center", va="center", color=DIM, fontsize=13)


def frame(fig, panel, geom):
    """The panel's box and title; returns the figure-fraction rect inside it."""
    x, y, w, h = geom
    fig.patches.append(
        FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0,rounding_size=0.002", transform=fig.transFigure, facecolor=PANEL, edgecolor=BORDER, linewidth=0.8, zorder=-10)
    )
    title_h = 0.30 / fig.get_figheight()
    fig.text(x + 0.006, y + h - title_h * 0.55, panel["title"], color=TEXT, fontsize=10.5, fontweight="bold", ha="left", va="center")
    return x, y, w, h - title_h


def stat(fig, panel, rect):
    x, y, w, h = rect
    ax = fig.add_axes([x, y, w, h])
    ax.set_axis_off()
    if not panel["series"]:
        no_data(ax)
        return
    values = [finite(s["points"])[-1][1] for s in panel["series"] if finite(s["points"])]
    if not values:
        no_data(ax)
        return
    text = fmt(panel.get("unit"), sum(values), panel.get("decimals"))
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color=GREEN, fontsize=26 if len(text) <= 8 else 20, fontweight="bold")


def bargauge(fig, panel, rect):
    x, y, w, h = rect
    ax = fig.add_axes([x + 0.006, y + 0.004, w - 0.012, h - 0.008])
    ax.set_axis_off()
    rows = [(s["name"], finite(s["points"])[-1][1]) for s in panel["series"] if finite(s["points"])]
    if not rows:
        no_data(ax)
        return
    top = max(v for _, v in rows) or 1
    n = len(rows)
    slot = 1 / max(n, 3)
    for i, (name, v) in enumerate(rows):
        y0 = 1 - (i + 1) * slot
        ax.text(0, y0 + slot * 0.78, name, transform=ax.transAxes, color=TEXT, fontsize=9.5, va="center")
        ax.add_patch(Rectangle((0, y0 + slot * 0.12), 0.86, slot * 0.45, transform=ax.transAxes, color="#22252b"))
        ax.add_patch(Rectangle((0, y0 + slot * 0.12), 0.86 * v / top, slot * 0.45, transform=ax.transAxes, color=GREEN, alpha=0.85))
        ax.text(0.995, y0 + slot * 0.345, fmt(panel.get("unit"), v, panel.get("decimals")), transform=ax.transAxes, color=GREEN, fontsize=11, fontweight="bold", ha="right", va="center")


def timeseries(fig, panel, rect, window):
    x, y, w, h = rect
    custom = panel.get("custom") or {}
    series = [s for s in panel["series"] if finite(s["points"])]
    legend_h = (0.26 * math.ceil(len(series) / 3) + 0.05) / fig.get_figheight() if series else 0
    pad_l = 0.62 / fig.get_figwidth()
    if not series:
        ax = fig.add_axes([x, y, w, h])
        ax.set_axis_off()
        no_data(ax)
        return
    pad_r = 0.40 / fig.get_figwidth()
    ax = fig.add_axes([x + pad_l, y + legend_h + 0.28 / fig.get_figheight(), w - pad_l - pad_r, h - legend_h - 0.32 / fig.get_figheight()])
    ax.set_facecolor(PANEL)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.tick_params(colors=DIM, labelsize=9, length=0)
    ax.grid(True, color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    t0, t1 = (datetime.fromtimestamp(t, timezone.utc) for t in window)
    ax.set_xlim(t0, t1)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S", tz=timezone.utc))
    # Round times (every 15 s, 30 s, 1 min...), as Grafana picks them, none so close to the left
    # edge that it runs into the y axis' labels.
    lo, hi = mdates.date2num(t0), mdates.date2num(t1)
    ticks = mdates.AutoDateLocator(minticks=3, maxticks=6, tz=timezone.utc).tick_values(t0, t1)
    ax.set_xticks([t for t in ticks if lo + 0.07 * (hi - lo) <= t <= hi - 0.02 * (hi - lo)])
    unit = panel.get("unit")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt(unit, v)))
    ax.yaxis.set_major_locator(MaxNLocator(4, min_n_ticks=2))
    stacked = (custom.get("stacking") or {}).get("mode") == "normal"
    bars = custom.get("drawStyle") == "bars"
    alpha = (custom.get("fillOpacity") or 0) / 100
    base = {}
    handles = []
    for i, s in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        ts = [t for t, _ in s["points"]]
        vs = [v if v is not None and math.isfinite(v) else float("nan") for _, v in s["points"]]
        lows = [base.get(t, 0.0) if stacked else 0.0 for t in ts]
        highs = [lo + v if stacked and math.isfinite(v) else v for lo, v in zip(lows, vs)]
        if stacked:
            for t, hi in zip(ts, highs):
                if math.isfinite(hi):
                    base[t] = hi
        dts = [datetime.fromtimestamp(t, timezone.utc) for t in ts]
        if bars:
            span = (window[1] - window[0]) / 86400
            # One bar per interval, ending at its point (Cost per day: one point, at the end).
            ax.bar(dts, [hi - lo for hi, lo in zip(highs, lows)], bottom=lows, width=-span / 15, align="edge", color=color, alpha=max(alpha, 0.5), linewidth=0)
            (h_,) = ax.plot([], [], color=color, linewidth=3)
        else:
            (h_,) = ax.plot(dts, highs, color=color, linewidth=1.4)
            if alpha:
                ax.fill_between(dts, lows, highs, color=color, alpha=alpha, linewidth=0)
        handles.append((h_, s["name"] or panel["title"]))
    lo = panel.get("min")
    hi = panel.get("max")
    ymin, ymax = ax.get_ylim()
    ax.set_ylim(lo if lo is not None else ymin, hi if hi is not None else max(ymax, 1e-12))
    # Grafana's list legend under the plot.
    leg = fig.legend(
        [h_ for h_, _ in handles],
        [n for _, n in handles],
        loc="lower left",
        bbox_to_anchor=(x + 0.004, y + 0.002),
        ncol=min(3, len(handles)),
        frameon=False,
        fontsize=9,
        labelcolor=TEXT,
        handlelength=1.2,
        columnspacing=1.5,
        borderaxespad=0.2,
    )
    for line in leg.get_lines():
        line.set_linewidth(3)


def main(src, dst):
    data = json.load(open(src))
    meta = data["meta"]
    panels = data["panels"]
    grid_h = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels)
    height = HEADER_IN + grid_h * UNIT_H_IN + FOOTER_IN
    fig = plt.figure(figsize=(WIDTH_IN, height), dpi=DPI, facecolor=BG)
    fx = lambda inch: inch / WIDTH_IN  # noqa: E731
    fy = lambda inch: inch / height  # noqa: E731
    start = datetime.fromtimestamp(meta["startS"], timezone.utc)
    end = datetime.fromtimestamp(meta["endS"], timezone.utc)
    fig.text(fx(0.2), 1 - fy(0.3), meta["dashboard"], color=TEXT, fontsize=15, fontweight="bold", va="center")
    fig.text(
        1 - fx(0.2),
        1 - fy(0.3),
        f"job={meta['job']}   instance={meta['instance']}   {start:%Y-%m-%d %H:%M:%S} to {end:%H:%M:%S} UTC",
        color=DIM,
        fontsize=10,
        ha="right",
        va="center",
    )
    col = (WIDTH_IN - 2 * 0.2) / 24
    for p in panels:
        g = p["gridPos"]
        x = fx(0.2 + g["x"] * col + MARGIN_IN / 2)
        w = fx(g["w"] * col - MARGIN_IN)
        top = HEADER_IN + g["y"] * UNIT_H_IN
        if p["type"] == "row":
            fig.text(x, 1 - fy(top + UNIT_H_IN * 0.55), p["title"], color=TEXT, fontsize=12, fontweight="bold", va="center")
            continue
        h = fy(g["h"] * UNIT_H_IN - MARGIN_IN)
        y = 1 - fy(top + MARGIN_IN / 2) - h
        rect = frame(fig, p, (x, y, w, h))
        if p["type"] == "stat":
            stat(fig, p, rect)
        elif p["type"] == "bargauge":
            bargauge(fig, p, rect)
        else:
            timeseries(fig, p, rect, (meta["startS"], meta["endS"]))
    footer = (
        f"Generated by `npm run demo` from a real OpenClaw {meta['openclaw']} run ({meta['turns']} turns against a mock model) "
        f"scraped by Prometheus {meta['prometheus']} every second, on {end:%Y-%m-%d}.\n"
        f"Each panel runs dashboards/openclaw-overview.json's own queries (step {meta['stepS']} s, $__rate_interval {meta['rateIntervalS']} s). "
        "A generated file: do not edit."
    )
    fig.text(fx(0.2), fy(FOOTER_IN * 0.5), footer, color=DIM, fontsize=9, va="center")
    fig.savefig(dst, dpi=DPI, facecolor=BG)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: render_overview.py SERIES.json OUT.png")
    main(sys.argv[1], sys.argv[2])
