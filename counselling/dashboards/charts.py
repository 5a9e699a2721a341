"""Server-rendered inline SVG charts: no JavaScript, no CDN, readable in print and without colour.

Colour is never the only carrier of meaning: each series has a colour from the Okabe–Ito
palette (safe for the common colour-vision deficiencies) *and* a fill pattern, every bar carries
its value as text, and every chart has a <title>/<desc> and a data table next to it in the
template. Hovering a bar shows its <title>; a bar with a URL is a link to the cases behind it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

# Okabe & Ito (2008), in an order where neighbours differ in lightness as well as hue.
PALETTE = ("#0072B2", "#E69F00", "#56B4E9", "#009E73", "#D55E00", "#CC79A7", "#F0E442", "#666666")
INK = "#1a1a1a"
GRID = "#d0d0d0"
_ids = itertools.count(1)


@dataclass
class Series:
    name: str
    values: list[float]
    urls: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)  # hover text per value; default "name: value"


def _uid(prefix: str) -> str:
    return f"{prefix}{next(_ids)}"


def _fmt(value: float) -> str:
    return f"{value:,.0f}".replace(",", "\u202f") if float(value).is_integer() else f"{value:.1f}"


def _patterns(uid: str, count: int) -> str:
    """One <pattern> per series: a colour plus a texture, so print and colour-blind readers can
    tell the series apart (solid, diagonal, dots, cross-hatch, horizontal, vertical, ...)."""
    textures = (
        "",
        '<path d="M-1,1 l2,-2 M0,8 l8,-8 M7,9 l2,-2" stroke="#fff" stroke-width="1.6"/>',
        '<circle cx="2" cy="2" r="1.3" fill="#fff"/><circle cx="6" cy="6" r="1.3" fill="#fff"/>',
        '<path d="M0,0 l8,8 M8,0 l-8,8" stroke="#fff" stroke-width="1.1"/>',
        '<path d="M0,2 h8 M0,6 h8" stroke="#fff" stroke-width="1.3"/>',
        '<path d="M2,0 v8 M6,0 v8" stroke="#000" stroke-opacity=".45" stroke-width="1.2"/>',
        '<path d="M-1,7 l2,2 M0,0 l8,8 M7,-1 l2,2" stroke="#000" stroke-opacity=".5" stroke-width="1.2"/>',
        '<circle cx="4" cy="4" r="1.5" fill="#fff"/>',
    )
    parts = []
    for n in range(count):
        colour = PALETTE[n % len(PALETTE)]
        parts.append(
            f'<pattern id="{uid}-p{n}" width="8" height="8" patternUnits="userSpaceOnUse">'
            f'<rect width="8" height="8" fill="{colour}"/>{textures[n % len(textures)]}</pattern>'
        )
    return "<defs>" + "".join(parts) + "</defs>"


def fill(uid: str, n: int) -> str:
    return f"url(#{uid}-p{n})"


def _label(x: float, y: float, text: str, *, anchor: str = "start", size: int = 12, weight: str = "normal", halo: bool = False) -> str:
    halo_attrs = ' stroke="#fff" stroke-width="3" paint-order="stroke" stroke-linejoin="round"' if halo else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" font-weight="{weight}" '
        f'fill="{INK}"{halo_attrs}>{escape(text)}</text>'
    )


def _link(url: str, inner: str) -> str:
    return f'<a href="{escape(url)}">{inner}</a>' if url else inner


def _frame(uid: str, width: int, height: int, title: str, desc: str, body: str, css_class: str) -> SafeString:
    # A chart with links inside is a group, not an image: an image's children are presentational,
    # and links inside one are axe's "nested-interactive" (serious).
    role = "group" if "<a " in body else "img"
    return mark_safe(  # every piece of text above went through escape()
        f'<svg class="chart {css_class}" viewBox="0 0 {width} {height}" width="100%" role="{role}" '
        f'aria-labelledby="{uid}-t {uid}-d" xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet" '
        f'style="max-width:{width}px">'
        f'<title id="{uid}-t">{escape(title)}</title><desc id="{uid}-d">{escape(desc)}</desc>{body}</svg>'
    )


def _legend(uid: str, series: list[Series], x: float, y: int, width: float) -> tuple[str, int]:
    parts: list[str] = []
    cx, cy = x, y
    for n, s in enumerate(series):
        item_width = 26 + 7.2 * len(s.name)
        if cx + item_width > x + width and cx > x:
            cx, cy = x, cy + 20
        parts.append(
            f'<rect x="{cx:.1f}" y="{cy:.1f}" width="16" height="14" fill="{fill(uid, n)}" stroke="{INK}" stroke-width=".6"/>'
            + _label(cx + 21, cy + 11.5, s.name)
        )
        cx += item_width + 14
    return "".join(parts), cy + 20 - y


def hbar_chart(
    *, labels: list[str], series: list[Series], title: str, desc: str, stacked: bool = True,
    label_urls: list[str] | None = None, width: int = 560, show_legend: bool | None = None, totals: bool = True,
) -> SafeString:
    """Horizontal bars, one row per label; several series are stacked (or grouped side by side).

    Each segment wide enough carries its value; the row's total is written after the bar.
    """
    uid = _uid("hb")
    show_legend = len(series) > 1 if show_legend is None else show_legend
    longest = max((len(label) for label in labels), default=4)
    label_w = min(300, max(70, int(6.8 * longest) + 14))
    max_chars = longest if 6.8 * longest + 14 <= 300 else int((300 - 14) / 6.8)
    bar_h = 20 if stacked or len(series) == 1 else 12
    row_h = (bar_h + 10) if stacked or len(series) == 1 else (bar_h * len(series) + 12)
    legend, legend_h = _legend(uid, series, label_w, 4, width - label_w) if show_legend else ("", 0)
    top = legend_h + (8 if show_legend else 4)
    plot_w = width - label_w - 64
    if stacked:
        peak = max((sum(s.values[i] for s in series) for i in range(len(labels))), default=0)
    else:
        peak = max((v for s in series for v in s.values), default=0)
    scale = plot_w / peak if peak else 0
    body = [_patterns(uid, len(series)), legend]
    for i, label in enumerate(labels):
        y = top + i * row_h
        url = (label_urls or [""] * len(labels))[i]
        shown = label if len(label) <= max_chars else label[: max_chars - 1] + "…"
        text = _label(label_w - 8, y + bar_h / 2 + 4, shown, anchor="end")
        if shown != label:
            text = text.replace("</text>", f"<title>{escape(label)}</title></text>")
        body.append(_link(url, text))
        x: float = label_w
        for n, s in enumerate(series):
            value = s.values[i]
            w = value * scale
            by = y if stacked else y + n * bar_h
            tip = s.titles[i] if i < len(s.titles) and s.titles[i] else f"{label} — {s.name}: {_fmt(value)}"
            seg_url = s.urls[i] if i < len(s.urls) else ""
            if value:
                rect = (
                    f'<rect x="{x:.1f}" y="{by:.1f}" width="{max(w, 1.5):.1f}" height="{bar_h - (1 if not stacked else 0)}" '
                    f'fill="{fill(uid, n)}" stroke="#fff" stroke-width=".8"><title>{escape(tip)}</title></rect>'
                )
                text = ""
                if stacked and len(series) > 1 and w >= 8 * len(_fmt(value)) + 6:
                    text = _label(x + w / 2, by + bar_h / 2 + 4, _fmt(value), anchor="middle", size=11, halo=True)
                body.append(_link(seg_url, rect + text))
            if not stacked or len(series) == 1:
                body.append(_label(label_w + w + 5, by + bar_h / 2 + 4, _fmt(value), size=11 if not stacked else 12))
            if stacked:
                x += w
        if stacked and len(series) > 1 and totals:
            total = sum(s.values[i] for s in series)
            body.append(_label(x + 5, y + bar_h / 2 + 4, _fmt(total), weight="bold"))
    height = top + len(labels) * row_h + 4
    body.append(f'<line x1="{label_w}" y1="{top - 3}" x2="{label_w}" y2="{height - 6}" stroke="{INK}" stroke-width="1"/>')
    return _frame(uid, width, height, title, desc, "".join(body), "chart-hbar")


def column_chart(
    *, labels: list[str], series: list[Series], title: str, desc: str, notes: list[str] | None = None,
    label_urls: list[str] | None = None, width: int = 1100, height: int = 300, notes_label: str = "",
) -> SafeString:
    """Vertical stacked columns (e.g. one per week); ``notes`` are written above each column
    (e.g. the show-up rate), totals inside the top of the stack."""
    uid = _uid("cc")
    legend, legend_h = _legend(uid, series, 40, 4, width - 40)
    top = legend_h + 12 + (30 if notes else 14)
    bottom = 36
    left = 48
    plot_h = height - top - bottom
    plot_w = width - left - 8
    slot = plot_w / max(len(labels), 1)
    bar_w = min(56, slot * 0.66)
    peak = max((sum(s.values[i] for s in series) for i in range(len(labels))), default=0)
    nice = _nice_ceiling(peak)
    scale = plot_h / nice if nice else 0
    body = [_patterns(uid, len(series)), legend]
    for tick in _ticks(nice):
        ty = top + plot_h - tick * scale
        body.append(f'<line x1="{left}" y1="{ty:.1f}" x2="{width - 8}" y2="{ty:.1f}" stroke="{GRID}" stroke-width=".7"/>')
        body.append(_label(left - 5, ty + 4, _fmt(tick), anchor="end", size=10))
    if notes_label:
        body.append(_label(0, top - 20, notes_label, size=10, weight="bold"))
    for i, label in enumerate(labels):
        cx = left + slot * i + slot / 2
        y: float = top + plot_h
        for n, s in enumerate(series):
            value = s.values[i]
            h = value * scale
            if value:
                tip = s.titles[i] if i < len(s.titles) and s.titles[i] else f"{label} — {s.name}: {_fmt(value)}"
                rect = (
                    f'<rect x="{cx - bar_w / 2:.1f}" y="{y - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{fill(uid, n)}" '
                    f'stroke="#fff" stroke-width=".8"><title>{escape(tip)}</title></rect>'
                )
                text = _label(cx, y - h / 2 + 4, _fmt(value), anchor="middle", size=10, halo=True) if h >= 13 else ""
                body.append(_link(s.urls[i] if i < len(s.urls) else "", rect + text))
            y -= h
        total = sum(s.values[i] for s in series)
        body.append(_label(cx, y - 4, _fmt(total), anchor="middle", size=10, weight="bold"))
        if notes and notes[i]:
            body.append(_label(cx, top - 20, notes[i], anchor="middle", size=10))
        first, _sep, second = label.partition("\n")
        url = (label_urls or [""] * len(labels))[i]
        body.append(_link(url, _label(cx, top + plot_h + 15, first, anchor="middle", size=10)))
        if second:
            body.append(_label(cx, top + plot_h + 28, second, anchor="middle", size=9))
    body.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 8}" y2="{top + plot_h}" stroke="{INK}"/>')
    return _frame(uid, width, height, title, desc, "".join(body), "chart-columns")


def sparkline(*, values: list[int], capacity: int, labels: list[str], title: str, desc: str, width: int = 220, height: int = 56) -> SafeString:
    """Occupancy over time against a dashed capacity line; the last point (today) is labelled."""
    uid = _uid("sl")
    peak = max([capacity, *values, 1])
    left, right, top, bottom = 4, 44, 8, 6
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(values) - 1, 1)

    def y_of(v: float) -> float:
        return top + plot_h - v / peak * plot_h

    points = " ".join(f"{left + i * step:.1f},{y_of(v):.1f}" for i, v in enumerate(values))
    cap_y = y_of(capacity)
    body = [
        f'<line x1="{left}" y1="{cap_y:.1f}" x2="{left + plot_w}" y2="{cap_y:.1f}" stroke="{INK}" stroke-dasharray="4 3" stroke-width="1"/>',
        f'<polyline points="{points}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>',
    ]
    for i, v in enumerate(values):
        shape = "rect" if v > capacity else "circle"
        cx, cy = left + i * step, y_of(v)
        tip = escape(f"{labels[i]}: {v} / {capacity}")
        if shape == "circle":
            body.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="2.6" fill="{PALETTE[0]}"><title>{tip}</title></circle>')
        else:  # over capacity: a different shape, not only a different colour
            body.append(f'<rect x="{cx - 3:.1f}" y="{cy - 3:.1f}" width="6" height="6" fill="{PALETTE[4]}"><title>{tip}</title></rect>')
    if values:
        body.append(_label(left + plot_w + 4, min(max(y_of(values[-1]) + 4, 12), height - 2), _fmt(values[-1]), size=11, weight="bold"))
    return _frame(uid, width, height, title, desc, "".join(body), "chart-spark")


def meter(*, value: int, capacity: int, title: str, width: int = 180, height: int = 18) -> SafeString:
    """A filled track: occupied places against capacity (hatched beyond capacity)."""
    uid = _uid("mt")
    peak = max(capacity, value, 1)
    w = width - 2
    used = min(value, capacity) / peak * w
    over = max(value - capacity, 0) / peak * w
    body = [
        _patterns(uid, 5),
        f'<rect x="1" y="1" width="{capacity / peak * w:.1f}" height="{height - 2}" fill="#fff" stroke="{INK}" stroke-width="1"/>',
        f'<rect x="1" y="1" width="{used:.1f}" height="{height - 2}" fill="{fill(uid, 0)}"/>',
    ]
    if over:
        body.append(f'<rect x="{1 + used:.1f}" y="1" width="{over:.1f}" height="{height - 2}" fill="{fill(uid, 4)}" stroke="{INK}"/>')
    return _frame(uid, width, height, title, title, "".join(body), "chart-meter")


def _nice_ceiling(value: float) -> float:
    if value <= 0:
        return 0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _ticks(nice: float) -> list[float]:
    if not nice:
        return [0]
    return [nice * n / 4 for n in range(5) if float(nice * n / 4).is_integer()] or [0, nice]


def legend_swatch(n: int) -> SafeString:
    """A small pattern swatch for table headers, matching series ``n`` of the charts."""
    uid = _uid("sw")
    return format_html(
        '<svg class="swatch" width="14" height="12" aria-hidden="true">{}<rect width="14" height="12" fill="{}" stroke="{}"/></svg>',
        mark_safe(_patterns(uid, n + 1)),  # constant markup
        fill(uid, n), INK,
    )

