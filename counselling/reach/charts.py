"""The show-up chart: one bar per group (0–100 %), with the 2021 baseline drawn as a line.

Same conventions as counselling.dashboards.charts: inline SVG, no script, no inline style, a
<title>/<desc>, each value written as text, and a data table next to it in the page.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from counselling.dashboards.charts import INK, PALETTE, _label, _uid


def rate_chart(*, rows, baseline: float, baseline_label: str, title: str, desc: str, width: int = 560) -> SafeString:
    """``rows``: objects with ``label``, ``rate`` (0..1 or None) and ``total``."""
    uid = _uid("su")
    label_w, right = 170, 70
    plot_w = width - label_w - right
    bar_h, row_h, top = 18, 28, 24
    body = []
    for i, row in enumerate(rows):
        y = top + i * row_h
        name = row.label if len(row.label) <= 24 else row.label[:23] + "…"
        body.append(_label(label_w - 8, y + bar_h / 2 + 4, name, anchor="end"))
        if row.rate is None:
            body.append(_label(label_w + 4, y + bar_h / 2 + 4, "—"))
            continue
        w = row.rate * plot_w
        body.append(
            f'<rect x="{label_w}" y="{y}" width="{max(w, 1.5):.1f}" height="{bar_h}" fill="{PALETTE[0]}">'
            f"<title>{escape(row.label)}: {row.rate * 100:.0f} % ({row.held}/{row.total})</title></rect>"
        )
        body.append(_label(label_w + w + 5, y + bar_h / 2 + 4, f"{row.rate * 100:.0f} % ({row.total})", size=11))
    height = top + max(len(rows), 1) * row_h + 8
    x = label_w + baseline * plot_w
    body.append(
        f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 4}" stroke="#D55E00" stroke-width="2" stroke-dasharray="6 4"/>'
    )
    body.append(_label(x, 12, f"{baseline * 100:.0f} % · {baseline_label}", anchor="middle", size=11, weight="bold"))
    body.append(f'<line x1="{label_w}" y1="{top - 3}" x2="{label_w}" y2="{height - 6}" stroke="{INK}" stroke-width="1"/>')
    return mark_safe(  # every text above went through escape()
        f'<svg class="chart chart-showup" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{uid}-t {uid}-d" xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">'
        f'<title id="{uid}-t">{escape(title)}</title><desc id="{uid}-d">{escape(desc)}</desc>{"".join(body)}</svg>'
    )
