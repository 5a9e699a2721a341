"""Services and guards of the return work against the real database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases import services as case_services
from cases.models import CaseEvent, State
from cases.returns import services
from cases.returns.care import RemovalOperation
from cases.returns.models import ConsularRequest, Referral
from cases.returns.timers import remind_due_consular_requests
from returnpath.errors import DomainError, TransitionRefused
from tests import factories as f


# --- consular timers ------------------------------------------------------------------------
def test_the_timer_reminds_once_per_due_date_and_moves_with_a_reminder(case, counsellor, settings, today):
    settings.RETURNPATH_CONSULAR_ANSWER_DAYS = 30
    request = services.record_consular_request(actor=counsellor, case_id=case.pk, kind="laissez_passer", country="GN",
                                               consulate="Embassy of Guinea", sent_on=today - dt.timedelta(days=31))
    assert request.due_on == today - dt.timedelta(days=1)
    assert remind_due_consular_requests() == 1
    assert remind_due_consular_requests() == 0  # idempotent
    events = case.events.filter(kind=CaseEvent.Kind.CONSULAR_FOLLOW_UP_DUE)
    assert events.count() == 1 and events.get().data["why"] == "answer"
    # A reminder sent to the consulate starts the wait again; the next due date reminds once more.
    request = services.update_consular_request(actor=counsellor, case_id=case.pk, request_id=request.pk, reminder_sent_on=today)
    assert request.due_on == today + dt.timedelta(days=30) and request.reminders_sent == 1
    assert remind_due_consular_requests(today=today + dt.timedelta(days=30)) == 1
    assert remind_due_consular_requests(today=today + dt.timedelta(days=31)) == 0


def test_an_answered_request_or_a_finished_case_is_not_reminded(case, counsellor, today):
    old = today - dt.timedelta(days=60)
    request = services.record_consular_request(actor=counsellor, case_id=case.pk, kind="identification", country="CD",
                                               consulate="Embassy of DR Congo", sent_on=old)
    services.update_consular_request(actor=counsellor, case_id=case.pk, request_id=request.pk, answer="no_answer", answered_on=today)
    finished = f.CaseFactory(office=case.office, counsellor=counsellor, state=State.CLOSED)
    ConsularRequest.objects.create(case=finished, country="CD", consulate="x", sent_on=old, due_on=old)
    assert remind_due_consular_requests() == 0


@pytest.mark.parametrize(("changes", "message"), [
    ({"answer": "issued", "answered_on": None}, "day of the answer"),
    ({"answer": "issued", "answered_on": "today"}, "how long"),
    ({"interview_held_on": "tomorrow"}, "future"),
    ({}, "Nothing to record"),
])
def test_consular_updates_are_checked(case, counsellor, today, changes, message):
    request = services.record_consular_request(actor=counsellor, case_id=case.pk, kind="laissez_passer", country="MA",
                                               consulate="Consulate of Morocco", sent_on=today - dt.timedelta(days=3))
    days = {"today": today, "tomorrow": today + dt.timedelta(days=1)}
    changes = {k: days.get(v, v) if isinstance(v, str) and k != "answer" else v for k, v in changes.items()}
    with pytest.raises(DomainError) as refused:
        services.update_consular_request(actor=counsellor, case_id=case.pk, request_id=request.pk, **changes)
    assert any(message in d for d in refused.value.details)


def test_a_counsellor_of_another_office_cannot_reach_the_case(case, other_counsellor, today):
    from django.http import Http404
    with pytest.raises(Http404):
        services.record_travel_document(actor=other_counsellor, case_id=case.pk, kind="passport", status="missing")


# --- referrals ------------------------------------------------------------------------------
def test_a_referral_needs_voluntary_return_and_consent(case, counsellor, partner):
    client, _api = partner
    with pytest.raises(TransitionRefused) as refused:
        services.refer_to_partner(actor=counsellor, case_id=case.pk, partner_id=client.pk, destination_country="BE", consent_on=None)
    details = " ".join(refused.value.details)
    assert "voluntary return" in details and "consented" in details and "Belgium" in details


def test_the_referral_carries_the_vulnerabilities_and_is_cancelled_when_the_case_leaves_voluntary_return(
    voluntary_case, counsellor, partner, today
):
    client, _api = partner
    services.update_vulnerability(actor=counsellor, case_id=voluntary_case.pk, flags={"pregnancy": True, "medical_condition": True},
                                  note="Needs oxygen on board")
    referral = services.refer_to_partner(actor=counsellor, case_id=voluntary_case.pk, partner_id=client.pk, destination_country="GN",
                                         consent_on=today)
    assert referral.vulnerabilities == ["medical_condition", "pregnancy"]
    with pytest.raises(TransitionRefused):  # one active referral at a time
        services.refer_to_partner(actor=counsellor, case_id=voluntary_case.pk, partner_id=client.pk, destination_country="GN",
                                  consent_on=today)
    case_services.withdraw_voluntary_return(actor=counsellor, case_id=voluntary_case.pk, reason="Changed their mind")
    referral.refresh_from_db()
    assert referral.stage == Referral.Stage.CANCELLED and referral.cancel_reason


def test_stages_follow_their_order(voluntary_case, counsellor, partner, today):
    client, _api = partner
    referral = services.refer_to_partner(actor=counsellor, case_id=voluntary_case.pk, partner_id=client.pk, destination_country="GN",
                                         consent_on=today)
    with pytest.raises(TransitionRefused):
        services.report_referral_stage(actor=client.user, referral_id=referral.pk, stage="booked", flight="SN 1", flight_on=today)
    services.report_referral_stage(actor=client.user, referral_id=referral.pk, stage="accepted")
    again = services.report_referral_stage(actor=client.user, referral_id=referral.pk, stage="accepted")
    assert again.stage == "accepted"
    assert voluntary_case.events.filter(kind=CaseEvent.Kind.REFERRAL_STAGE).count() == 1


# --- fitness to travel and removal ----------------------------------------------------------------
def test_unfit_to_travel_blocks_removal_steps_until_lifted(forced_case, manager, today):
    services.record_unfit_to_travel(actor=manager, case_id=forced_case.pk, given_on=today, physician="Dr. Peeters")
    with pytest.raises(TransitionRefused) as refused:
        services.plan_removal(actor=manager, case_id=forced_case.pk, planned_on=today + dt.timedelta(days=5))
    assert any("unfit to travel" in d for d in refused.value.details)
    with pytest.raises(TransitionRefused) as refused:
        case_services.confirm_removal(actor=manager, case_id=forced_case.pk, removed_on=today)
    assert any("unfit to travel" in d for d in refused.value.details)
    services.lift_unfit_to_travel(actor=manager, case_id=forced_case.pk, lifted_on=today, note="New opinion: fit")
    operation = services.plan_removal(actor=manager, case_id=forced_case.pk, planned_on=today + dt.timedelta(days=5),
                                      escort_needed=True, escorts=2, flight_reference="SN 3201")
    forced_case.refresh_from_db()
    assert forced_case.removal_planned_on == operation.planned_on


def test_a_refused_boarding_is_counted_and_the_case_and_placement_continue(forced_case, manager, today):
    facility = f.FacilityFactory(kind="closed_centre", capacity=10, restriction="")
    placement = f.PlacementFactory(case=forced_case, facility=facility, started_on=today - dt.timedelta(days=10))
    operation = services.plan_removal(actor=manager, case_id=forced_case.pk, planned_on=today)
    services.record_removal_outcome(actor=manager, case_id=forced_case.pk, operation_id=operation.pk, status="refused_boarding",
                                    outcome_on=today, note="Resisted at the gate")
    forced_case.refresh_from_db()
    placement.refresh_from_db()
    assert forced_case.state == State.FORCED_RETURN and placement.ended_on is None
    assert RemovalOperation.objects.filter(status="refused_boarding").count() == 1
    # A new operation can be planned, and carried out ends the case through confirm_removal.
    second = services.plan_removal(actor=manager, case_id=forced_case.pk, planned_on=today)
    services.record_removal_outcome(actor=manager, case_id=forced_case.pk, operation_id=second.pk, status="carried_out", outcome_on=today)
    forced_case.refresh_from_db()
    placement.refresh_from_db()
    assert forced_case.state == State.REMOVED and forced_case.removed_on == today and placement.ended_on == today


def test_cancelling_needs_a_reason_and_a_suspensive_appeal_cancels_the_planned_removal(forced_case, manager, today):
    operation = services.plan_removal(actor=manager, case_id=forced_case.pk, planned_on=today + dt.timedelta(days=2))
    with pytest.raises(TransitionRefused):
        services.record_removal_outcome(actor=manager, case_id=forced_case.pk, operation_id=operation.pk, status="cancelled",
                                        outcome_on=today, note="")
    case_services.record_procedure(actor=manager, case_id=forced_case.pk, kind="extreme_urgency_request", lodged_on=today)
    operation.refresh_from_db()
    forced_case.refresh_from_db()
    assert forced_case.state == State.LEGAL_STAY_REVIEW and operation.status == RemovalOperation.Status.CANCELLED


def test_only_managers_plan_removals(forced_case, counsellor, today):
    with pytest.raises(DomainError) as refused:
        services.plan_removal(actor=counsellor, case_id=forced_case.pk, planned_on=today)
    assert refused.value.code == "forbidden"


def test_the_window_is_twelve_months_from_departure(voluntary_case, counsellor, partner):
    client, _api = partner
    departed = timezone.localdate() - dt.timedelta(days=400)
    voluntary_case.orders.update(notified_on=departed - dt.timedelta(days=5), issued_on=departed - dt.timedelta(days=6))
    referral = services.refer_to_partner(actor=counsellor, case_id=voluntary_case.pk, partner_id=client.pk, destination_country="GN",
                                         consent_on=departed - dt.timedelta(days=1))
    case_services.confirm_departure(actor=client.user, case_id=voluntary_case.pk, departed_on=departed, evidence="partner_confirmation")
    late = services.record_reintegration_support(actor=client.user, referral_id=referral.pk, kind="housing", delivered_on=timezone.localdate())
    in_time = services.record_reintegration_support(actor=client.user, referral_id=referral.pk, kind="business",
                                                    delivered_on=departed + dt.timedelta(days=100))
    events = {e.data["support"]: e.data["within_window"] for e in voluntary_case.events.filter(kind=CaseEvent.Kind.REINTEGRATION_SUPPORT)}
    assert events == {late.pk: False, in_time.pk: True}


def test_timeline_sentences_are_built_in_the_readers_language(voluntary_case, counsellor, partner, today):
    from django.utils import translation

    client, _api = partner
    referral = services.refer_to_partner(actor=counsellor, case_id=voluntary_case.pk, partner_id=client.pk, destination_country="GN",
                                         consent_on=today)
    services.report_referral_stage(actor=client.user, referral_id=referral.pk, stage="accepted")
    services.report_referral_stage(actor=client.user, referral_id=referral.pk, stage="booked", flight="SN 245",
                                   flight_on=today + dt.timedelta(days=2))
    event = voluntary_case.events.filter(kind=CaseEvent.Kind.REFERRAL_STAGE).order_by("-id").first()
    assert event.text.startswith("Booked · Flight SN 245 on")
    with translation.override("fr"):
        assert event.text.startswith("Réservé · Vol SN 245 le")
    with translation.override("nl"):
        assert event.label == "Terugkeerpartner meldde"
