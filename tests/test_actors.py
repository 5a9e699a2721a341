"""The actor convention (decision 100): every ``actor`` is typed, and the system acts as SYSTEM."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from returnpath.actors import SYSTEM, SYSTEM_LABEL, SystemActor, is_system, reporter_of, user_of

ROOT = Path(__file__).resolve().parent.parent
APPLICATION = ("returnpath", "accounts", "offices", "cases", "counselling")
ACTOR_TYPES = {"Actor", "User", "User | None"}


def _modules():
    for package in APPLICATION:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, ast.parse(path.read_text(), filename=str(path))


def test_every_actor_parameter_is_typed_as_an_actor_or_a_user():
    untyped = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                arguments = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
                for argument in arguments:
                    if argument.arg == "actor" and (argument.annotation is None or ast.unparse(argument.annotation) not in ACTOR_TYPES):
                        untyped.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert untyped == []


def test_the_system_is_never_spelled_none_or_a_flag():
    spelled = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    none_actor = keyword.arg == "actor" and isinstance(keyword.value, ast.Constant) and keyword.value.value is None
                    # A model's "actor" column is filled with None for the system; a service never receives it.
                    if keyword.arg == "system" or (none_actor and not _is_model_row(node)):
                        spelled.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert spelled == []


def _is_model_row(call: ast.Call) -> bool:
    func = ast.unparse(call.func)
    return func in {"CaseEvent", "CaseEvent.objects.create"} or any(k.arg == "actor_label" for k in call.keywords)


def test_the_system_is_no_user_and_carries_whose_report_set_it_off(django_user_model):
    reporter = django_user_model(username="court-register")
    on_report = SYSTEM.on_report_of(reporter)
    assert is_system(SYSTEM) and is_system(on_report) and not is_system(reporter)
    assert not SYSTEM.is_authenticated and SYSTEM.label == SYSTEM_LABEL == "ReturnPath"
    assert on_report.reported_by is reporter and SYSTEM.reported_by is None
    assert SYSTEM.on_report_of(on_report) is on_report  # the system reporting to itself stays the system
    assert reporter_of(on_report) is reporter and reporter_of(SYSTEM) is SYSTEM and reporter_of(reporter) is reporter
    assert user_of(SYSTEM) is None and user_of(on_report) is None and user_of(reporter) is reporter
    assert isinstance(on_report, SystemActor)


@pytest.mark.django_db
def test_a_system_event_is_recorded_as_returnpath_without_a_user():
    from cases.models import CaseEvent
    from cases.services.events import record_event
    from tests.factories import CaseFactory

    event = record_event(case=CaseFactory(), actor=SYSTEM, kind=CaseEvent.Kind.ASSIGNED)
    event.refresh_from_db()
    assert event.actor_id is None and event.actor_label == "ReturnPath"


@pytest.mark.django_db
def test_the_law_steps_as_the_system_on_the_reporters_word(office, counsellor):
    """A granted asylum application moves the case as ReturnPath; the event names the reporter."""
    import datetime as dt

    from django.utils import timezone

    from cases import services
    from cases.models import CaseEvent, State
    from cases.services.events import actor_label
    from tests import factories as f

    today = timezone.localdate()
    case = f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION)
    f.OrderFactory(case=case)
    services.record_procedure(actor=counsellor, case_id=case.pk, kind="asylum_application", lodged_on=today - dt.timedelta(days=9),
                              decision="granted", decided_on=today - dt.timedelta(days=1), reference="R-1")
    step = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.TRANSITION)
    assert step.actor_id is None and step.actor_label == "ReturnPath"
    assert step.data["system"] is True and step.data["reported_by"] == actor_label(counsellor) != ""
    lodged = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.PROCEDURE_LODGED).get()
    assert lodged.actor_id == counsellor.pk
