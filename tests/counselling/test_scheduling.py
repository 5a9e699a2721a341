"""Office assignment and conversation planning (issue 5, items 1–2)."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django.utils import timezone

from cases import legal, services
from cases.models import CaseEvent, State
from counselling import scheduling
from counselling.models import Conversation
from counselling.scheduling import Agenda, OfficeHours, plan_next_for_case, propose_next_conversation, target_day
from offices.models import StaffProfile
from offices.selectors import PROVINCE_RANGES
from returnpath import celery_app
from returnpath.actors import SYSTEM
from tests import factories as f

BRUSSELS = ZoneInfo("Europe/Brussels")
pytestmark = pytest.mark.django_db


@pytest.fixture
def eager():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def order(ref, *, postcode="1050", languages=("fr",), notified=None, **extra):
    notified = notified or timezone.localdate() - dt.timedelta(days=1)
    return services.OrderData(
        external_reference=ref, issued_on=notified - dt.timedelta(days=1), notified_on=notified, departure_term_days=30,
        person=services.PersonData(family_name=f"Person{ref}", given_names="A", birth_date=dt.date(1990, 1, 2),
                                   nationality="MA", postcode=postcode, languages=tuple(languages)),
        **extra,
    )


def local(y, m, d, h, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=BRUSSELS)


# --- 1. office assignment -----------------------------------------------------------------------
def test_every_province_lands_at_its_office_with_the_lightest_counsellor_speaking_the_language():
    offices = {}
    for index, (low, high, province) in enumerate(PROVINCE_RANGES):
        office = offices.get(province) or f.OfficeFactory(code=f"P-{province}", province=province)
        offices[province] = office
        f.ServiceAreaFactory(office=office, postcode_from=low, postcode_to=high)
        f.add_weekday_hours(office)
        f.staff(username=f"c-{index}-nl", office=office, languages=("nl",))
        f.staff(username=f"c-{index}-ar", office=office, languages=("ar", "fr"))
    for low, _high, province in PROVINCE_RANGES:
        case = services.open_case_from_order(actor=SYSTEM, data=order(f"R{low}", postcode=str(low + 5), languages=("ar",))).case
        assert case.office == offices[province], province
        assert "ar" in case.counsellor.staff_profile.languages
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.ASSIGNED).count() == len(PROVINCE_RANGES)


def test_uncovered_postcode_goes_to_the_province_office_and_no_address_to_the_default(office, counsellor):
    liege = f.OfficeFactory(code="LGE-1", province="liege")
    f.staff(username="c-liege", office=liege)
    case = services.open_case_from_order(actor=SYSTEM, data=order("X1", postcode="4020")).case
    assert case.office == liege  # no service area for 4020, but Liège has a regional office
    with override_settings(RETURNPATH_DEFAULT_OFFICE_CODE=office.code):
        homeless = services.open_case_from_order(actor=SYSTEM, data=order("X2", postcode="")).case
    assert homeless.office == office and homeless.target_group == "no_address"


def test_lightest_caseload_wins_among_speakers(office, counsellor):
    busy = f.staff(username="busy", office=office, languages=("fr",))
    light = f.staff(username="light", office=office, languages=("fr",))
    StaffProfile.objects.filter(user=counsellor).update(languages=["nl"])
    f.CaseFactory.create_batch(2, office=office, counsellor=busy)
    case = services.open_case_from_order(actor=SYSTEM, data=order("L1")).case
    assert case.counsellor == light


def test_reassignment_keeps_the_history(case, manager, other_office, other_counsellor):
    from offices.models import Membership

    Membership.objects.create(user=manager, office=other_office, role=Membership.Role.MANAGER)
    services.reassign_case(actor=manager, case_id=case.pk, office_id=other_office.pk, counsellor_id=None, note="moved")
    event = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.ASSIGNED).first()
    assert event.data["before"]["office"] == "Brussels test office"
    assert event.data["office"] == other_office.name


# --- 2. planning ----------------------------------------------------------------------------
def test_intake_skips_easter_monday_across_the_dst_change(case):
    # Friday 26 March 2027, 15:30: Sunday 28 March clocks go forward, Monday 29 is Easter Monday.
    now = local(2027, 3, 26, 15, 30)
    f.OrderFactory(case=case, notified_on=dt.date(2027, 3, 26), issued_on=dt.date(2027, 3, 25))
    f.ConversationFactory(case__office=case.office, counsellor=case.counsellor, planned_at=local(2027, 3, 30, 9),
                          case__counsellor=case.counsellor)
    proposal = propose_next_conversation(case=case, now=now)
    assert legal.is_public_holiday(dt.date(2027, 3, 29))
    # Friday 16:00 does not fit a 60-minute conversation before 17:00 after the 2-hour lead; Tuesday
    # 09:00 is taken, so 10:00 — Brussels summer time, 08:00 UTC.
    assert proposal.planned_at == local(2027, 3, 30, 10)
    assert proposal.planned_at.astimezone(dt.UTC).hour == 8
    assert proposal.is_intake and not proposal.late


def test_autumn_dst_keeps_wall_clock_hours(case):
    now = local(2026, 10, 23, 18)  # Friday; Sunday 25 October 2026 clocks go back
    with override_settings(RETURNPATH_PLANNING_MIN_LEAD_HOURS=2):
        proposal = propose_next_conversation(case=case, now=now)
    assert proposal.planned_at == local(2026, 10, 26, 9)
    assert proposal.planned_at.astimezone(dt.UTC).hour == 8  # winter time: UTC+1


def test_intake_window_passed_plans_from_today_and_marks_late(case):
    f.OrderFactory(case=case, notified_on=timezone.localdate() - dt.timedelta(days=30),
                   issued_on=timezone.localdate() - dt.timedelta(days=31))
    proposal = propose_next_conversation(case=case)
    assert proposal.late and proposal.planned_at > timezone.now()


@pytest.mark.parametrize(
    ("days_to_deadline", "expected_gap"),
    [
        (40, 14),  # far away: the playbook cadence
        (17, 10),  # would jump into the final week: land on its first day
        (10, 3),   # final week starts in 3 days
        (5, 3),    # inside the final week: at most 3 days
        (-3, 14),  # deadline passed: back to the cadence
    ],
)
def test_cadence_brought_forward_near_the_deadline(case, days_to_deadline, expected_gap):
    now = local(2027, 5, 3, 10)
    case.held_conversations = 1
    case.last_contact_at = now
    case.departure_deadline = dt.date(2027, 5, 3) + dt.timedelta(days=days_to_deadline)
    _first, last, intake = target_day(case=case, now=now)
    assert not intake and last == dt.date(2027, 5, 3) + dt.timedelta(days=expected_gap)


def test_cadence_per_state_from_the_playbook(office, counsellor):
    now = local(2027, 5, 3, 10)
    case = f.CaseFactory(office=office, counsellor=counsellor, state=State.VOLUNTARY_RETURN, departure_deadline=None,
                         held_conversations=2, last_contact_at=now)
    case.playbook.cadence_by_state = {"voluntary_return": 7}
    assert target_day(case=case, now=now)[1] == dt.date(2027, 5, 10)
    case.playbook.cadence_by_state = {}
    assert target_day(case=case, now=now)[1] == dt.date(2027, 5, 17)


def test_planning_respects_capacity_hours_and_never_overlaps(office, counsellor):
    StaffProfile.objects.filter(user=counsellor).update(conversations_per_day=2)
    day = legal.next_working_day_on_or_after(timezone.localdate() + dt.timedelta(days=1))
    f.ConversationFactory(case__office=office, case__counsellor=counsellor, counsellor=counsellor,
                          planned_at=dt.datetime.combine(day, dt.time(9, 30), tzinfo=BRUSSELS), duration_minutes=90)
    cases = f.CaseFactory.create_batch(7, office=office, counsellor=counsellor)
    planned = [plan_next_for_case(case_id=c.pk) for c in cases]
    assert all(planned)
    rows = list(Conversation.objects.filter(counsellor=counsellor, status="planned").order_by("planned_at"))
    per_day: dict = {}
    for conversation in rows:
        start = timezone.localtime(conversation.planned_at, BRUSSELS)
        per_day[start.date()] = per_day.get(start.date(), 0) + 1
        assert legal.is_working_day(start.date())
        assert dt.time(9) <= start.time() and (start + dt.timedelta(minutes=conversation.duration_minutes)).time() <= dt.time(17)
    assert max(per_day.values()) <= 2
    for a, b in itertools.pairwise(rows):
        assert a.planned_at + dt.timedelta(minutes=a.duration_minutes) <= b.planned_at


def test_plan_next_is_idempotent_and_only_for_counselled_cases(case, office, counsellor):
    first = plan_next_for_case(case_id=case.pk)
    assert first is not None and first.is_intake
    assert plan_next_for_case(case_id=case.pk) is None
    assert Conversation.objects.filter(case=case, status="planned").count() == 1
    gone = f.CaseFactory(office=office, counsellor=counsellor, state=State.UNTRACEABLE)
    assert plan_next_for_case(case_id=gone.pk) is None
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.CONVERSATION_PLANNED)
    assert event.actor_label == "ReturnPath"


def test_interpreter_flagged_when_languages_do_not_meet(office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor, person__languages=["ti"])
    assert propose_next_conversation(case=case).interpreter_language == "ti"
    case2 = f.CaseFactory(office=office, counsellor=counsellor, person__languages=["ti", "fr"])
    assert propose_next_conversation(case=case2).interpreter_language == ""


def test_no_consultation_hours_no_proposal(counsellor):
    bare = f.OfficeFactory(code="BARE")
    case = f.CaseFactory(office=bare, counsellor=counsellor)
    assert propose_next_conversation(case=case) is None
    assert plan_next_for_case(case_id=case.pk) is None


def test_home_visit_preferred_playbook(office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor, target_group="family")
    assert propose_next_conversation(case=case).mode == Conversation.Mode.HOME_VISIT


def test_agenda_counts_per_local_day_across_midnight_utc(counsellor):
    agenda = Agenda()
    # 00:30 Brussels on 4 May is still 3 May in UTC: it must count for 4 May.
    agenda.book(counsellor.pk, local(2027, 5, 4, 0, 30), 30)
    assert agenda.day_is_full(counsellor.pk, dt.date(2027, 5, 4), 1)
    assert not agenda.day_is_full(counsellor.pk, dt.date(2027, 5, 3), 1)


def test_office_hours_slots_are_local_times(office):
    hours = OfficeHours([office.pk])
    slots = list(hours.slots(office.pk, dt.date(2027, 3, 30), 60))
    assert slots[0] == local(2027, 3, 30, 9) and slots[-1] == local(2027, 3, 30, 16)
    assert len(slots) == (8 * 60 - 60) // scheduling.SLOT_STEP_MINUTES + 1


def test_case_opened_plans_the_intake_after_commit(office, counsellor, eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = services.open_case_from_order(actor=SYSTEM, data=order("INTAKE-1")).case
    conversation = Conversation.objects.get(case=case, status="planned")
    start = timezone.localtime(conversation.planned_at, BRUSSELS)
    window_end = legal.add_working_days(timezone.localdate() - dt.timedelta(days=1), case.playbook.intake_within_working_days)
    assert conversation.is_intake and legal.is_working_day(start.date()) and start.date() <= window_end
    case.refresh_from_db()
    assert case.next_conversation_at == conversation.planned_at


def test_held_conversation_queues_the_next_one(case, counsellor, eager, django_capture_on_commit_callbacks):
    from counselling import services as counselling

    conversation = counselling.plan_conversation(actor=counsellor, case_id=case.pk, planned_at=timezone.now() + dt.timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        counselling.record_held_conversation(actor=counsellor, case_id=case.pk, conversation_id=conversation.pk, stance="considering")
    nxt = Conversation.objects.get(case=case, status="planned")
    assert not nxt.is_intake
    assert timezone.localtime(nxt.planned_at).date() >= timezone.localdate() + dt.timedelta(days=3)
