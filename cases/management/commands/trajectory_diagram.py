"""The trajectory state machine as a Mermaid diagram, generated from the FSM transitions of Case.

    python manage.py trajectory_diagram                       # print
    python manage.py trajectory_diagram --write docs/trajectory.md
    python manage.py trajectory_diagram --check               # fail when docs/trajectory.md is stale

(``python manage.py graph_transitions cases.Case`` gives the same machine as Graphviz DOT.)
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from cases.models import TERMINAL_STATES, TRANSITION_NAMES, Case, State

DEFAULT_PATH = "docs/trajectory.md"


def _sources(transition) -> list[str]:
    source = transition.source
    if source in ("*", "+"):
        return [s.value for s in State if not (source == "+" and s == transition.target)]
    return [str(source)]


def transitions() -> list[tuple[str, str, str, object]]:
    """(source, target, name, transition) for every edge, in the order of DESIGN §3."""
    field = Case._meta.get_field("state")
    order = {name: i for i, name in enumerate(TRANSITION_NAMES)}
    states = [s.value for s in State]
    edges = set()
    by_key = {}
    for transition in field.get_all_transitions(Case):
        for source in _sources(transition):
            key = (source, str(transition.target), transition.name)
            edges.add(key)
            by_key[key] = transition
    ordered = sorted(edges, key=lambda e: (order.get(e[2], len(order)), e[2], states.index(e[0]), e[1]))
    return [(s, t, n, by_key[(s, t, n)]) for s, t, n in ordered]


def _describe(callable_) -> str:
    refusal = getattr(callable_, "refusal", None)
    name = getattr(callable_, "__name__", str(callable_))
    return f"`{name}` — {refusal}" if refusal else f"`{name}`"


def render() -> str:
    """The Markdown page (English, whatever the active language)."""
    with translation.override("en"):
        edges = transitions()
        lines = [
            "# The case trajectory",
            "",
            "Generated from the FSM transitions of `cases.models.Case` by",
            "`python manage.py trajectory_diagram --write docs/trajectory.md`; do not edit by hand",
            "(`tests/cases/test_diagram.py` fails when this page and the code disagree).",
            "",
            "```mermaid",
            "stateDiagram-v2",
        ]
        for state in State:
            lines.append(f"    {state.value}: {state.label}")
        lines.append(f"    [*] --> {State.REGISTERED.value}")
        for source, target, name, _transition in edges:
            lines.append(f"    {source} --> {target}: {name}")
        for state in TERMINAL_STATES:
            lines.append(f"    {state.value} --> [*]")
        lines += ["```", "", "## Steps and their guards", ""]
        lines += ["| step | from | to | permission | guards (and the sentence shown when one refuses) |", "| --- | --- | --- | --- | --- |"]
        seen = {}
        for source, target, name, transition in edges:
            seen.setdefault(name, {"sources": [], "target": target, "transition": transition})["sources"].append(source)
        for name, info in seen.items():
            transition = info["transition"]
            permission = f"`{transition.permission.perm}`" if getattr(transition.permission, "perm", None) else ""
            guards = "<br>".join(_describe(c) for c in transition.conditions)
            sources = ", ".join(f"`{s}`" for s in info["sources"])
            lines.append(f"| `{name}` | {sources} | `{info['target']}` | {permission} | {guards} |")
        lines.append("")
        return "\n".join(lines)


class Command(BaseCommand):
    help = "Print (or write, or check) the Mermaid diagram of the case trajectory, generated from the code."

    def add_arguments(self, parser):
        parser.add_argument("--write", nargs="?", const=DEFAULT_PATH, metavar="PATH", help=f"write the page (default {DEFAULT_PATH})")
        parser.add_argument("--check", nargs="?", const=DEFAULT_PATH, metavar="PATH", help="fail when the page differs from the code")

    def handle(self, *args, **options):
        text = render()
        if options["check"]:
            path = Path(settings.BASE_DIR) / options["check"]
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                raise CommandError(f"{path} is out of date: run `python manage.py trajectory_diagram --write {options['check']}`.")
            self.stdout.write(f"{path} is current.")
            return
        if options["write"]:
            path = Path(settings.BASE_DIR) / options["write"]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            self.stdout.write(f"Wrote {path}.")
            return
        self.stdout.write(text, ending="")
