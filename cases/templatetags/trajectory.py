"""The trajectory drawn as its state diagram (server-side inline SVG), the case's state marked.

The edges come from the step registry (``cases.steps``), which the state machine is built from,
so the drawing cannot drift from the rules. "Close"
goes from every open state to "closed" and is written once under the node instead of drawn ten
times. A text list next to the drawing says the same for screen readers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django import template

from cases.models import TERMINAL_STATES, Case, State
from cases.steps import STEPS

register = template.Library()

NODE_W, NODE_H = 150, 44
COL_X = (20, 215, 410, 605)
ROW_Y = (16, 110, 204)
# (column, row) of each state: the humane path runs along the middle row.
LAYOUT = {
    State.REGISTERED: (0, 1),
    State.ORIENTATION: (1, 1),
    State.VOLUNTARY_RETURN: (2, 1),
    State.DEPARTED: (3, 1),
    State.LEGAL_STAY_REVIEW: (1, 0),
    State.LEGAL_STAY_GRANTED: (3, 0),
    State.UNTRACEABLE: (0, 2),
    State.FORCED_RETURN: (2, 2),
    State.REMOVED: (3, 2),
    State.CLOSED: (0, 0),
}
WIDTH = COL_X[-1] + NODE_W + 20
HEIGHT = ROW_Y[-1] + NODE_H + 16


@dataclass
class Node:
    state: str
    label: str
    x: int
    y: int
    current: bool
    terminal: bool

    @property
    def cx(self) -> float:
        return self.x + NODE_W / 2

    @property
    def cy(self) -> float:
        return self.y + NODE_H / 2

    @property
    def text_y(self) -> float:
        return self.y + NODE_H / 2 + 5

    @property
    def squeeze(self) -> int | None:
        """Long labels (French, Dutch) are fitted into the box rather than running out of it."""
        characters = len(self.label) + (2 if self.current else 0)
        return NODE_W - 12 if characters * 7 > NODE_W - 12 else None


@dataclass
class Edge:
    x1: float
    y1: float
    x2: float
    y2: float
    label: str
    possible_now: bool


def _clip(node: Node, dx: float, dy: float) -> tuple[float, float]:
    """Where the line from the node's centre in direction (dx, dy) leaves its box (plus a small gap)."""
    scale = min((NODE_W / 2 + 3) / abs(dx) if dx else math.inf, (NODE_H / 2 + 3) / abs(dy) if dy else math.inf)
    return node.cx + dx * scale, node.cy + dy * scale


def diagram(case_state: str) -> dict:
    nodes = {
        state: Node(state=state.value, label=str(state.label), x=COL_X[c], y=ROW_Y[r], current=state == case_state,
                    terminal=state in TERMINAL_STATES)
        for state, (c, r) in LAYOUT.items()
    }
    pairs: dict[tuple[str, str], list[str]] = {}
    for step in STEPS.values():
        if step.target == State.CLOSED:
            continue
        for edge_source, edge_target in step.edges:
            pairs.setdefault((edge_source.value, edge_target.value), []).append(str(step.label))
    edges = []
    for (source, target), labels in pairs.items():
        a, b = nodes[State(source)], nodes[State(target)]
        dx, dy = b.cx - a.cx, b.cy - a.cy
        length = math.hypot(dx, dy) or 1
        # Two-way pairs are drawn as two parallel arrows, not one line with two heads.
        offset = 5 if (target, source) in pairs else 0
        ox, oy = -dy / length * offset, dx / length * offset
        x1, y1 = _clip(a, dx, dy)
        x2, y2 = _clip(b, -dx, -dy)
        edges.append(Edge(x1 + ox, y1 + oy, x2 + ox, y2 + oy, ", ".join(labels), possible_now=source == case_state))
    ordered = sorted(nodes.values(), key=lambda n: (n.y, n.x))
    return {"nodes": ordered, "edges": edges, "width": WIDTH, "height": HEIGHT}


@register.inclusion_tag("cases/partials/trajectory_diagram.html")
def trajectory_diagram(case: Case) -> dict:
    data = diagram(case.state)
    data["case"] = case
    data["current_label"] = case.get_state_display()
    return data
