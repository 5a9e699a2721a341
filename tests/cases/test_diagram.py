"""docs/trajectory.md is generated from the step registry and must match the code."""

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

from cases.management.commands.trajectory_diagram import render, transitions
from cases.models import Case, State
from cases.steps import STEPS


def test_committed_diagram_matches_the_code():
    committed = (Path(django_settings.BASE_DIR) / "docs" / "trajectory.md").read_text(encoding="utf-8")
    assert committed == render(), "docs/trajectory.md is stale: run `python manage.py trajectory_diagram --write`"


def test_every_transition_and_state_is_drawn():
    text = render()
    edges = transitions()
    assert {name for _s, _t, name, _tr in edges} == set(STEPS)
    # The drawing and the state machine the services run are one graph.
    fsm = {(t.source, t.target, t.name) for t in Case._meta.get_field("state").get_all_transitions(Case)}
    assert {(s, t, name) for s, t, name, _step in edges} == fsm
    for state in State:
        assert f"    {state.value}: " in text
    assert "    forced_return --> legal_stay_review: open_legal_stay_review" in text
    assert "    registered --> forced_return" not in text
    # close is allowed from every open state and no terminal one
    close_sources = {s for s, _t, name, _tr in edges if name == "close"}
    assert close_sources == {"registered", "orientation", "legal_stay_review", "voluntary_return", "forced_return", "untraceable"}


def test_check_fails_on_a_stale_page(tmp_path, settings):
    settings.BASE_DIR = tmp_path
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "trajectory.md").write_text("stale", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("trajectory_diagram", "--check")
    call_command("trajectory_diagram", "--write", stdout=StringIO())
    call_command("trajectory_diagram", "--check", stdout=StringIO())


def test_graph_transitions_command_works():
    out = StringIO()
    call_command("graph_transitions", "cases.Case", stdout=out)
    assert "start_orientation" in out.getvalue() and "digraph" in out.getvalue()
