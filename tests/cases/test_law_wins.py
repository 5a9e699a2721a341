"""The law wins, everywhere (issue 9 points 1–2): a granted right to stay stops forced return,
through the services, the API and the browser. Each row names its legal source."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import guards as g
from cases import services
from cases.models import Case, CaseEvent, Placement, State
from returnpath.errors import TransitionRefused
from tests import factories as f

pytest_plugins = ["tests.cases.test_api_support"]
pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)

# (kind, state before, moves to legal stay review when granted)
GRANTED_TABLE = [
    ("asylum_application", "orientation", True),  # Aliens Act art. 48/3: recognition is a right to stay
    ("asylum_application", "voluntary_return", True),
    ("asylum_appeal", "forced_return", True),  # Aliens Act art. 39/2 §1: the CALL grants protection
    ("regularisation_9bis", "untraceable", True),  # Aliens Act art. 9bis: a residence permit
    ("regularisation_9ter", "forced_return", True),  # Aliens Act art. 9ter
    ("family_reunification", "orientation", True),  # Aliens Act art. 10
    ("extreme_urgency_request", "orientation", False),  # Aliens Act art. 39/82: a suspension, not a right to stay
    ("annulment_suspension_appeal", "orientation", False),  # Aliens Act art. 39/2 §2: the order annulled, no stay
    ("cassation_appeal", "orientation", False),  # Council of State: sends the case back
    ("dublin_transfer", "orientation", False),  # Regulation 604/2013: another member state takes charge
]


def granted_case(office, counsellor, state):
    case = f.CaseFactory(office=office, counsellor=counsellor, state=state, removal_planned_on=TODAY + 5 * DAY)
    f.OrderFactory(case=case)
    return case


def assert_moved(case, moves, state):
    case.refresh_from_db()
    if moves:
        assert case.state == State.LEGAL_STAY_REVIEW and case.removal_planned_on is None
        event = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.TRANSITION).get()
        assert event.actor is None and event.actor_label == "ReturnPath" and event.data["system"] is True
        assert event.transition == "open_legal_stay_review" and event.from_state == state
    else:
        assert case.state == state


@pytest.mark.parametrize(("kind", "state", "moves"), GRANTED_TABLE)
def test_a_granted_route_to_stay_moves_the_case_service(kind, state, moves, office, counsellor):
    case = granted_case(office, counsellor, state)
    services.record_procedure(actor=counsellor, case_id=case.pk, kind=kind, lodged_on=TODAY - 9 * DAY,
                              decision="granted", decided_on=TODAY - DAY, reference="R-1")
    assert_moved(case, moves, state)


@pytest.mark.parametrize(("kind", "state", "moves"), GRANTED_TABLE[:3] + GRANTED_TABLE[6:8])
def test_a_granted_route_to_stay_moves_the_case_api(kind, state, moves, office, counsellor, api_register):
    client, api = api_register
    case = granted_case(office, counsellor, state)
    f.OrderFactory(case=case, client=client)
    payload = {"kind": kind, "lodged_on": (TODAY - 9 * DAY).isoformat(), "decision": "granted",
               "decided_on": (TODAY - DAY).isoformat(), "reference": "R-2"}
    response = api.post(f"/api/v1/cases/{case.pk}/procedures/", payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["case"]["state"] == (State.LEGAL_STAY_REVIEW if moves else state)
    assert_moved(case, moves, state)


@pytest.mark.parametrize(("kind", "state", "moves"), GRANTED_TABLE[:2] + GRANTED_TABLE[6:7])
def test_a_granted_route_to_stay_moves_the_case_browser(kind, state, moves, office, counsellor, client):
    case = granted_case(office, counsellor, state)
    procedure = f.ProcedureFactory(case=case, kind=kind, suspensive=False, lodged_on=TODAY - 9 * DAY)
    services.procedures.refresh_procedure_counts(case)
    client.force_login(counsellor)
    response = client.post(reverse("cases:decide_procedure", args=[case.pk, procedure.pk]),
                           {f"decide-{procedure.pk}-decision": "granted", f"decide-{procedure.pk}-decided_on": TODAY.strftime("%d/%m/%Y")})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert_moved(case, moves, state)
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert ("Route to legal stay granted" in html) is moves


def test_a_best_interest_decision_to_stay_is_a_route_to_stay(office, counsellor):
    # Return Directive art. 10; DESIGN §3: a best-interest decision "stay" is a route to stay.
    case = f.CaseFactory(office=office, counsellor=counsellor, state="orientation", unaccompanied_minor=True,
                         target_group="unaccompanied_minor")
    services.record_best_interest_decision(actor=counsellor, case_id=case.pk, outcome="stay")
    assert_moved(case, True, "orientation")
    assert services.grant_legal_stay(actor=counsellor, case_id=case.pk).state == State.LEGAL_STAY_GRANTED


# --- while a granted route to stay stands: no escalation, no removal, no detention ----------------
STANDS = {"granted_procedures": 1, "granted_routes_to_stay": 1}


def test_escalation_refused_while_a_route_to_stay_stands(office, counsellor, manager):
    # Return Directive art. 6(4): a right to stay excludes a return decision's enforcement.
    case = f.CaseFactory(office=office, counsellor=counsellor, state="orientation", departure_deadline=TODAY - DAY,
                         voluntary_return_refusals=3, **STANDS)
    with pytest.raises(TransitionRefused) as refused:
        services.escalate_to_forced_return(actor=manager, case_id=case.pk, motivation="Refused.")
    assert refused.value.details == [str(g.no_granted_route_to_stay.refusal)]


def test_escalation_refused_while_a_route_to_stay_stands_browser(office, counsellor, manager, client):
    case = f.CaseFactory(office=office, counsellor=counsellor, state="orientation", departure_deadline=TODAY - DAY,
                         voluntary_return_refusals=3, **STANDS)
    client.force_login(manager)
    response = client.post(reverse("cases:step", args=[case.pk, "escalate_to_forced_return"]),
                           {"t-escalate_to_forced_return-expected_state": "orientation",
                            "t-escalate_to_forced_return-motivation": "Refused."})
    assert response.status_code == 400
    assert "A route to legal stay was granted" in response.content.decode()
    assert Case.objects.get(pk=case.pk).state == State.ORIENTATION


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (STANDS, g.no_granted_route_to_stay),  # a granted route to stay (Directive art. 6(4))
        ({"removal_barred": 1}, g.removal_not_barred),  # granted extreme urgency / annulment (Aliens Act art. 39/82, 39/2 §2)
    ],
)
def test_removal_refused_while_the_law_bars_it(fields, reason, office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor, state="forced_return", **fields)
    with pytest.raises(TransitionRefused) as refused:
        services.confirm_removal(actor=counsellor, case_id=case.pk, removed_on=TODAY)
    assert refused.value.details == [str(reason.refusal)]


def test_no_placement_in_detention_while_a_route_to_stay_stands(office, counsellor, manager, settings):
    settings.RETURNPATH_FOUR_EYES_DETENTION = False
    case = f.CaseFactory(office=office, counsellor=counsellor, state="forced_return", **STANDS)
    centre = f.FacilityFactory(kind="closed_centre")
    with pytest.raises(TransitionRefused) as refused:
        services.place_in_facility(actor=manager, case_id=case.pk, facility_id=centre.pk)
    assert str(g.no_granted_route_to_stay.refusal) in refused.value.details
    assert not Placement.objects.filter(case=case).exists()


def test_a_granted_route_to_stay_releases_from_detention(office, counsellor, manager, settings):
    settings.RETURNPATH_FOUR_EYES_DETENTION = False
    case = f.CaseFactory(office=office, counsellor=counsellor, state="forced_return")
    centre = f.FacilityFactory(kind="closed_centre")
    services.place_in_facility(actor=manager, case_id=case.pk, facility_id=centre.pk, started_on=TODAY - 3 * DAY)
    services.record_procedure(actor=counsellor, case_id=case.pk, kind="asylum_application", lodged_on=TODAY - 2 * DAY,
                              decision="granted", decided_on=TODAY)
    case.refresh_from_db()
    assert case.state == State.LEGAL_STAY_REVIEW
    assert not case.placements.filter(ended_on__isnull=True).exists()
    assert not case.detention_periods.filter(ended_on__isnull=True).exists()


# --- grant_legal_stay only on a route to stay (issue 9 point 2) --------------------------------
@pytest.mark.parametrize(
    ("kind", "allowed"),
    [
        ("asylum_application", True),  # Aliens Act art. 48/3
        ("regularisation_9ter", True),  # Aliens Act art. 9ter
        ("family_reunification", True),  # Aliens Act art. 10
        ("extreme_urgency_request", False),  # Aliens Act art. 39/82: suspension only
        ("annulment_suspension_appeal", False),  # Aliens Act art. 39/2 §2: annulment is no right to stay
        ("cassation_appeal", False),  # Council of State: no right to stay
        ("dublin_transfer", False),  # Regulation 604/2013: another state is responsible
    ],
)
def test_grant_legal_stay_only_on_a_route_to_stay(kind, allowed, office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor, state="legal_stay_review")
    services.record_procedure(actor=counsellor, case_id=case.pk, kind=kind, lodged_on=TODAY - 5 * DAY,
                              decision="granted", decided_on=TODAY - DAY)
    if allowed:
        assert services.grant_legal_stay(actor=counsellor, case_id=case.pk).state == State.LEGAL_STAY_GRANTED
        return
    with pytest.raises(TransitionRefused) as refused:
        services.grant_legal_stay(actor=counsellor, case_id=case.pk)
    assert refused.value.details == [str(g.has_granted_route_to_stay.refusal)]


@pytest.mark.parametrize(
    ("kind", "reason", "ok"),
    [
        ("annulment_suspension_appeal", "order_annulled", True),  # Aliens Act art. 39/2 §2: the order is gone
        ("dublin_transfer", "dublin_transfer", True),  # Regulation 604/2013 art. 29: transfer carried out
        ("extreme_urgency_request", "order_annulled", False),  # a suspension does not annul the order
        ("asylum_application", "dublin_transfer", False),
    ],
)
def test_an_annulled_order_or_a_dublin_transfer_closes_the_case(kind, reason, ok, office, counsellor, manager):
    case = f.CaseFactory(office=office, counsellor=counsellor, state="orientation")
    services.record_procedure(actor=counsellor, case_id=case.pk, kind=kind, lodged_on=TODAY - 5 * DAY,
                              decision="granted", decided_on=TODAY - DAY)
    state = Case.objects.get(pk=case.pk).state
    if ok:
        closed = services.close_case(actor=manager, case_id=case.pk, reason=reason, note="Decision of the council.")
        assert closed.state == State.CLOSED and closed.close_reason == reason
        return
    with pytest.raises(TransitionRefused):
        services.close_case(actor=manager, case_id=case.pk, reason=reason, note="Decision of the council.")
    assert Case.objects.get(pk=case.pk).state == state


# --- the same refusals in the browser ------------------------------------------------------------
@pytest.mark.parametrize(
    ("state", "fields", "step", "posted", "reason"),
    [
        # Return Directive art. 6(4) / issue 9: no removal while a granted route to stay stands.
        ("forced_return", STANDS, "confirm_removal", {"removed_on": TODAY.strftime("%d/%m/%Y")}, g.no_granted_route_to_stay),
        # Aliens Act art. 39/82 (DESIGN §2): a granted extreme-urgency request bars removal.
        ("forced_return", {"removal_barred": 1}, "confirm_removal", {"removed_on": TODAY.strftime("%d/%m/%Y")}, g.removal_not_barred),
        # Issue 9 point 2: a suspension, annulment, cassation or Dublin decision is no legal stay.
        ("legal_stay_review", {"granted_procedures": 1}, "grant_legal_stay", {}, g.has_granted_route_to_stay),
    ],
)
def test_the_law_wins_in_the_browser(state, fields, step, posted, reason, office, counsellor, client):
    case = f.CaseFactory(office=office, counsellor=counsellor, state=state, **fields)
    client.force_login(counsellor)
    data = {f"t-{step}-expected_state": state, **{f"t-{step}-{k}": v for k, v in posted.items()}}
    response = client.post(reverse("cases:step", args=[case.pk, step]), data)
    assert response.status_code == 400
    assert str(reason.refusal).replace("'", "&#x27;") in response.content.decode()
    assert Case.objects.get(pk=case.pk).state == state


def test_no_placement_in_detention_in_the_browser_while_a_route_to_stay_stands(office, counsellor, manager, client):
    case = f.CaseFactory(office=office, counsellor=counsellor, state="forced_return", **STANDS)
    centre = f.FacilityFactory(kind="closed_centre")
    client.force_login(manager)
    response = client.post(reverse("cases:place", args=[case.pk]), {"facility": centre.pk, "started_on": TODAY.strftime("%d/%m/%Y")})
    assert response.status_code == 400
    assert "A route to legal stay was granted" in response.content.decode()
    assert not Placement.objects.filter(case=case).exists()
