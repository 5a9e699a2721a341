"""The trajectory state machine as a Mermaid diagram, generated from the step registry (cases.steps).

    python manage.py trajectory_diagram                       # print
    python manage.py trajectory_diagram --write docs/trajectory.md
    python manage.py trajectory_diagram --check               # fail when docs/trajectory.md is stale

(``python manage.py graph_transitions cases.Case`` gives the same machine as Graphviz DOT: the
FSM of ``Case`` is built from the same registry.)
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from cases.models import TERMINAL_STATES, State
from cases.steps import STEPS, Step

DEFAULT_PATH = "docs/trajectory.md"


def transitions() -> list[tuple[str, str, str, Step]]:
    """(source, target, name, step) for every edge, in the order of DESIGN §3."""
    return [(source.value, target.value, step.name, step) for step in STEPS.values() for source, target in step.edges]


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
            "Generated from the step registry `cases.steps` by",
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
        for step in STEPS.values():
            permission = f"`{step.permission.perm}`" if getattr(step.permission, "perm", None) else ""
            guards = "<br>".join(_describe(c) for c in step.guards)
            sources = ", ".join(f"`{s.value}`" for s in step.sources)
            lines.append(f"| `{step.name}` | {sources} | `{step.target.value}` | {permission} | {guards} |")
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
