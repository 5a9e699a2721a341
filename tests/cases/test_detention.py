"""Detention is one title, not one placement (issue 9 point 3), and four eyes on liberty (issue
12 point 7): through the services, the API, the browser and the sweep. Rows name their source."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import legal, services
from cases.models import CaseEvent, DetentionDecision, DetentionPeriod, Placement, State
from counselling import sweeps
from offices.models import Membership
from returnpath.errors import TransitionRefused
from tests import factories as f

pytest_plugins = ["tests.cases.test_api_support"]
pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)


@pytest.fixture
def deputy(office):
    """A second office manager: the four eyes."""
    return f.staff(username="manager.deputy", office=office, role=Membership.Role.MANAGER)


@pytest.fixture
def forced(office, counsellor):
    def make(**fields):
        return f.CaseFactory(office=office, counsellor=counsellor, state="forced_return", person=f.PersonFactory(sex="M"), **fields)
    return make


@pytest.fixture
def at_once(settings):
    settings.RETURNPATH_FOUR_EYES_DETENTION = False


def centre(kind="closed_centre"):
    return f.FacilityFactory(kind=kind)


# --- one title across placements ----------------------------------------------------------------
@pytest.mark.usefixtures("at_once")
@pytest.mark.parametrize(
    ("moves", "periods", "started_days_ago"),
    [
        # (facility kind, start days ago, end days ago or None), in order
        ([("closed_centre", 50, None)], 1, 50),  # Aliens Act art. 7: 2 months from the start
        # A transfer never restarts the clock (CJEU Kadzoev C-357/09).
        ([("closed_centre", 50, None), ("closed_centre", 20, None)], 1, 50),
        ([("return_house", 50, None), ("closed_centre", 20, None)], 1, 50),  # return houses are detention too (art. 74/8)
        # A transfer recorded as "end, then place" the next day is still uninterrupted (Kadzoev).
        ([("closed_centre", 50, 21), ("closed_centre", 20, None)], 1, 50),
        # A release and a later new detention: a new title (uninterrupted periods only).
        ([("closed_centre", 50, 40), ("closed_centre", 20, None)], 2, 20),
        # An open return place is no detention: leaving it for a centre starts the title.
        ([("open_return_place", 50, None), ("closed_centre", 20, None)], 1, 20),
    ],
)
def test_one_title_per_uninterrupted_detention(moves, periods, started_days_ago, forced, manager):
    case = forced()
    for kind, start, end in moves:
        placement = services.place_in_facility(actor=manager, case_id=case.pk, facility_id=centre(kind).pk,
                                               started_on=TODAY - start * DAY)
        if end is not None:
            services.end_placement(actor=manager, case_id=case.pk, placement_id=placement.pk, ended_on=TODAY - end * DAY)
    assert case.detention_periods.count() == periods
    period = case.detention_periods.get(ended_on__isnull=True)
    assert period.started_on == TODAY - started_days_ago * DAY
    assert period.days_held == started_days_ago + 1
    assert period.limit_date == legal.detention_limit(started_on=period.started_on)


# --- extensions -------------------------------------------------------------------------------
@pytest.mark.usefixtures("at_once")
@pytest.mark.parametrize(
    ("limit", "extend_to", "ground", "held_days", "motivation", "refusal"),
    [
        ("none", "extended", "", 50, "Travel document expected.", None),  # Aliens Act art. 7: 2 → 5 months
        ("none", "public_order", "public_order", 50, "Serious threat.", None),  # to 8 months on a public-order ground
        ("none", "public_order", "national_security", 50, "Threat.", None),  # or national security
        ("extended", "public_order", "public_order", 120, "Threat.", None),
        ("none", "public_order", "", 50, "Threat.", "8 months needs a recorded public-order or national-security ground"),
        ("none", "extended", "", 50, "", "must be motivated"),  # a motivated decision
        ("extended", "extended", "", 120, "Again.", "already extended"),
        ("none", "extended", "", 70, "Too late.", "has passed"),  # decided before the limit passes (2 months ≈ 61 days)
    ],
)
def test_extension_rules(limit, extend_to, ground, held_days, motivation, refusal, forced, manager):
    case = forced()
    period = f.DetentionPeriodFactory(case=case, started_on=TODAY - held_days * DAY, limit=limit)
    if refusal is None:
        decision = services.extend_detention(actor=manager, case_id=case.pk, extend_to=extend_to, ground=ground,
                                             motivation=motivation, decided_on=TODAY)
        period.refresh_from_db()
        assert decision.status == DetentionDecision.Status.CONFIRMED and period.limit == extend_to
        assert period.limit_date == legal.detention_limit(started_on=period.started_on, extension=extend_to)
        return
    with pytest.raises(TransitionRefused) as refused:
        services.extend_detention(actor=manager, case_id=case.pk, extend_to=extend_to, ground=ground,
                                  motivation=motivation, decided_on=TODAY)
    assert any(refusal in reason for reason in refused.value.details), refused.value.details
    period.refresh_from_db()
    assert period.limit == limit


def test_only_an_office_manager_extends(forced, counsellor):
    case = forced()
    f.DetentionPeriodFactory(case=case, started_on=TODAY - 30 * DAY)
    with pytest.raises(TransitionRefused) as refused:
        services.extend_detention(actor=counsellor, case_id=case.pk, extend_to="extended", motivation="x")
    assert refused.value.details == ["Only an office manager may extend a detention."]


def test_the_limit_is_never_chosen_at_placement(office):
    from cases.forms import PlacementForm

    assert "extension" not in PlacementForm().fields
    assert not hasattr(Placement, "extension")


# --- four eyes on liberty (issue 12 point 7) ---------------------------------------------------
def test_a_placement_in_detention_waits_for_a_second_manager(forced, manager, deputy, counsellor):
    case, place = forced(), centre()
    decision = services.place_in_facility(actor=manager, case_id=case.pk, facility_id=place.pk, motivation="Risk of absconding.")
    assert isinstance(decision, DetentionDecision) and decision.is_pending
    assert not Placement.objects.filter(case=case).exists() and not DetentionPeriod.objects.filter(case=case).exists()

    for actor, reason in ((manager, "Four eyes"), (counsellor, "Only an office manager")):
        with pytest.raises(TransitionRefused) as refused:
            services.confirm_detention_decision(actor=actor, case_id=case.pk, decision_id=decision.pk)
        assert any(reason in r for r in refused.value.details)
    assert not Placement.objects.filter(case=case).exists()

    services.confirm_detention_decision(actor=deputy, case_id=case.pk, decision_id=decision.pk)
    placement = case.placements.get()
    assert placement.facility == place and placement.detention_period.started_on == TODAY
    decision.refresh_from_db()
    assert decision.status == "confirmed" and decision.confirmed_by == deputy and decision.period == placement.detention_period
    assert {CaseEvent.Kind.DETENTION_DECIDED, CaseEvent.Kind.DETENTION_CONFIRMED} <= set(case.events.values_list("kind", flat=True))


def test_a_refused_placement_takes_no_effect(forced, manager, deputy):
    case = forced()
    decision = services.place_in_facility(actor=manager, case_id=case.pk, facility_id=centre().pk)
    with pytest.raises(TransitionRefused):
        services.refuse_detention_decision(actor=deputy, case_id=case.pk, decision_id=decision.pk, reason="")
    services.refuse_detention_decision(actor=deputy, case_id=case.pk, decision_id=decision.pk, reason="Alternative: reporting duty.")
    assert not Placement.objects.filter(case=case).exists()
    assert DetentionDecision.objects.get(pk=decision.pk).status == "refused"


def test_an_extension_waits_for_a_second_manager(forced, manager, deputy):
    case = forced()
    period = f.DetentionPeriodFactory(case=case, started_on=TODAY - 50 * DAY)
    decision = services.extend_detention(actor=manager, case_id=case.pk, extend_to="extended", motivation="Laissez-passer expected.")
    period.refresh_from_db()
    assert decision.is_pending and period.limit == "none"
    services.confirm_detention_decision(actor=deputy, case_id=case.pk, decision_id=decision.pk)
    period.refresh_from_db()
    assert period.limit == "extended"


def test_a_transfer_needs_no_second_confirmation(forced, manager, deputy):
    """Four eyes guard the deprivation of liberty; a transfer within the title changes no liberty."""
    case = forced()
    decision = services.place_in_facility(actor=manager, case_id=case.pk, facility_id=centre().pk, started_on=TODAY - 10 * DAY)
    services.confirm_detention_decision(actor=deputy, case_id=case.pk, decision_id=decision.pk)
    moved = services.place_in_facility(actor=manager, case_id=case.pk, facility_id=centre().pk)
    assert isinstance(moved, Placement) and case.detention_periods.count() == 1


def test_a_pending_placement_lapses_when_a_route_to_stay_is_granted(forced, manager, counsellor):
    case = forced()
    decision = services.place_in_facility(actor=manager, case_id=case.pk, facility_id=centre().pk)
    services.record_procedure(actor=counsellor, case_id=case.pk, kind="asylum_application", lodged_on=TODAY - DAY,
                              decision="granted", decided_on=TODAY)
    decision.refresh_from_db()
    assert decision.status == "refused" and "route to legal stay" in decision.refusal_reason
    assert not Placement.objects.filter(case=case).exists()


def test_four_eyes_can_be_switched_off(forced, manager, at_once):
    case = forced()
    assert isinstance(services.place_in_facility(actor=manager, case_id=case.pk, facility_id=centre().pk), Placement)


# --- the browser --------------------------------------------------------------------------------
def test_case_page_shows_the_title_and_the_pending_confirmation(forced, manager, deputy, client):
    case = forced()
    period = f.DetentionPeriodFactory(case=case, started_on=TODAY - 40 * DAY)
    f.PlacementFactory(case=case, facility=centre(), started_on=TODAY - 10 * DAY, detention_period=period)
    client.force_login(manager)
    response = client.post(reverse("cases:extend_detention", args=[case.pk]), {
        "extend_to": "extended", "ground": "", "decided_on": TODAY.strftime("%d/%m/%Y"), "motivation": "Documents expected."})
    assert response.status_code == 302
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'data-testid="days-held">41<' in html
    assert legal.detention_limit(started_on=period.started_on).strftime("%d/%m/%Y") in html
    assert "Awaiting a second person" in html and "Another office manager confirms your decision" in html

    client.force_login(deputy)
    listing = client.get(reverse("cases:pending_detention")).content.decode()
    assert f"#{case.pk}" in listing
    decision = DetentionDecision.objects.get(case=case)
    assert client.post(reverse("cases:confirm_detention", args=[case.pk, decision.pk])).status_code == 302
    period.refresh_from_db()
    assert period.limit == "extended"
    assert f"#{case.pk}" not in client.get(reverse("cases:pending_detention")).content.decode()


def test_my_day_shows_the_second_manager_what_to_confirm(forced, manager, deputy, client):
    case = forced()
    services.place_in_facility(actor=manager, case_id=case.pk, facility_id=centre().pk)
    client.force_login(deputy)
    html = client.get(reverse("counselling:my_day")).content.decode()
    assert "Waiting for your decision" in html and f"#{case.pk}" in html and "Placement in detention" in html
    client.force_login(manager)  # the decider is not asked to confirm their own decision
    assert "Placement in detention" not in client.get(reverse("counselling:my_day")).content.decode()


def test_counsellors_do_not_get_the_confirmation_list(client, counsellor):
    client.force_login(counsellor)
    assert client.get(reverse("cases:pending_detention")).status_code == 403


# --- the API ------------------------------------------------------------------------------------
def test_the_api_shows_the_title(api_register, forced, manager, deputy):
    client, api = api_register
    case = forced()
    f.OrderFactory(case=case, client=client)
    period = f.DetentionPeriodFactory(case=case, started_on=TODAY - 30 * DAY)
    decision = services.extend_detention(actor=manager, case_id=case.pk, extend_to="extended", motivation="Documents.")
    services.confirm_detention_decision(actor=deputy, case_id=case.pk, decision_id=decision.pk)
    body = api.get(f"/api/v1/cases/{case.pk}/").json()
    assert body["detention"]["started_on"] == period.started_on.isoformat()
    assert body["detention"]["days_held"] == 31
    assert body["detention"]["limit"] == legal.detention_limit(started_on=period.started_on, extension="extended").isoformat()
    assert body["detention"]["limit_months"] == 5
    assert [d["status"] for d in body["detention"]["decisions"]] == ["confirmed"]
    assert "Documents" not in str(body)  # the motivation stays in the case file


# --- the sweep ----------------------------------------------------------------------------------
def test_the_sweep_warns_then_alerts_once(forced, settings):
    settings.RETURNPATH_DETENTION_WARNING_DAYS = 14
    near = forced(departure_deadline=None)
    f.DetentionPeriodFactory(case=near, started_on=legal.add_months(TODAY, -2) + 5 * DAY)  # limit in ~4 days
    passed = forced(departure_deadline=None)
    over = f.DetentionPeriodFactory(case=passed, started_on=legal.add_months(TODAY, -2) - 3 * DAY)  # limit passed
    released = forced(departure_deadline=None)
    f.DetentionPeriodFactory(case=released, started_on=TODAY - 80 * DAY, ended_on=TODAY - 20 * DAY)

    first = sweeps.warn_deadlines()
    assert (first["detention"], first["detention_passed"]) == (1, 1)
    second = sweeps.warn_deadlines()
    assert (second["detention"], second["detention_passed"]) == (0, 0)  # idempotent
    alert = CaseEvent.objects.get(kind=CaseEvent.Kind.DETENTION_LIMIT_PASSED)
    assert alert.case == passed and alert.actor is None and alert.data["limit"] == over.limit_date.isoformat()
    assert "release the person" in alert.text
    assert not CaseEvent.objects.filter(case=released, kind__startswith="detention").exclude(kind="detention_ended").exists()


def test_an_extension_gives_a_new_limit_to_warn_about(forced, manager):
    case = forced(departure_deadline=None)
    period = f.DetentionPeriodFactory(case=case, started_on=legal.add_months(TODAY, -2) + 3 * DAY)
    assert sweeps.warn_deadlines()["detention"] == 1
    period.limit = "extended"
    period.save()
    assert sweeps.warn_deadlines()["detention"] == 0  # 5 months: far away
    assert case.state == State.FORCED_RETURN
