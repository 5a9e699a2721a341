"""The step registry (cases.steps, decision 080) is the one declaration of each step: the state
machine, the services, the browser's step form and the API read it."""

import inspect

import pytest
from django.urls import reverse

from cases import services, steps
from cases.api.serializers import DepartureSerializer
from cases.forms import INPUT_FIELDS, TransitionForm
from cases.models import Case, CaseEvent, State
from cases.steps import STEPS
from tests import factories as f


def fsm_edges() -> dict[tuple[str, str], object]:
    return {(t.name, t.source): t for t in Case._meta.get_field("state").get_all_transitions(Case)}


def test_the_state_machine_is_the_registry_edge_by_edge():
    fsm = fsm_edges()
    declared = {(step.name, source.value): step for step in STEPS.values() for source in step.sources}
    assert set(fsm) == set(declared)
    for key, transition in fsm.items():
        step = declared[key]
        assert transition.target == step.target, key
        assert transition.permission is step.permission, key
        assert tuple(transition.conditions) == step.guards, key


def test_a_step_has_a_case_method_and_a_service_that_takes_its_inputs():
    for step in STEPS.values():
        assert callable(getattr(Case, step.name, None)), f"Case has no method for the step {step.name}"
        service = getattr(services, step.service_name, None)
        assert callable(service), f"cases.services has no {step.service_name} for the step {step.name}"
        parameters = inspect.signature(service).parameters
        assert {"actor", "case_id", "expected_state", *step.inputs} <= set(parameters), step.name
        for name in step.inputs:
            assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY, (step.name, name)


def test_every_input_of_a_step_is_asked_for_in_the_browser():
    for step in STEPS.values():
        form = TransitionForm(name=step.name, inputs=step.inputs)
        assert set(step.inputs) <= set(form.fields), step.name
        assert set(step.inputs) <= set(INPUT_FIELDS), step.name


def test_the_api_departure_takes_the_inputs_of_the_step():
    assert tuple(DepartureSerializer().fields) == steps.step("confirm_departure").inputs


def test_a_method_without_a_declared_step_is_refused_when_the_model_loads():
    def teleport(self):  # pragma: no cover - never called
        pass

    with pytest.raises(KeyError):
        steps.transition(Case._meta.get_field("state"))(teleport)


def test_the_lose_contact_states_are_the_sources_of_the_step():
    assert steps.LOSE_CONTACT_STATES == (State.REGISTERED, State.ORIENTATION, State.VOLUNTARY_RETURN)


@pytest.mark.django_db
def test_the_timeline_labels_a_step_from_the_registry(case, manager):
    services.close_case(actor=manager, case_id=case.pk, reason="deceased", note="Reported by the family.")
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.TRANSITION)
    assert event.label == "Close case" == str(STEPS["close"].label)
    # A name no longer declared (an old event) is shown as written, not dropped.
    assert steps.label("teleport") == "teleport"


@pytest.mark.django_db
def test_the_browser_refuses_a_step_that_is_not_declared(client, counsellor, office):
    case = f.CaseFactory(office=office, counsellor=counsellor, state="orientation")
    client.force_login(counsellor)
    response = client.post(reverse("cases:step", args=[case.pk, "teleport"]), {})
    assert response.status_code == 404
