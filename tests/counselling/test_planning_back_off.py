"""The planning back-off (decision 123): a case no office can fit is not examined by every sweep,
is examined again after the back-off or at once when capacity frees in its region, and stays
counted wherever cases without a planned conversation are counted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from cases.models import Case, State
from counselling import backoff, services, sweeps
from counselling.observability import CounsellingCollector
from counselling.overflow import planning_capacity, unplannable_by_office
from counselling.scheduling import Planner, plan_next_for_case
from offices.models import ConsultationHours, Membership, StaffProfile
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposed(monkeypatch):
    """The ids of the cases the planner was asked about, in order (every sweep, every service)."""
    asked: list[int] = []
    propose = Planner.propose

    def counting(self, case):
        asked.append(case.pk)
        return propose(self, case)

    monkeypatch.setattr(Planner, "propose", counting)
    return asked


@pytest.fixture
def stuck(office, counsellor):
    """A case whose counsellor takes no conversation at all, alone in its region: no office can fit it."""
    StaffProfile.objects.filter(user=counsellor).update(conversations_per_day=0)
    case = f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION)
    counts = sweeps.plan_missing_conversations()
    assert counts["unplannable"] == 1 and counts["planned"] == 0
    case.refresh_from_db()
    assert case.planning_retry_at is not None
    return case


def _back_off_passes() -> None:
    Case.objects.filter(planning_retry_at__isnull=False).update(planning_retry_at=F("planning_retry_at") - backoff.retry_delay())


def test_a_stuck_case_is_not_examined_again_until_its_back_off_has_passed(stuck, proposed):
    assert timezone.now() + backoff.retry_delay() - stuck.planning_retry_at < dt.timedelta(minutes=1)
    counts = sweeps.plan_missing_conversations()
    assert proposed == [] and counts["examined"] == 0
    _back_off_passes()
    counts = sweeps.plan_missing_conversations()
    assert proposed == [stuck.pk] and counts["retried"] == 1 and counts["unplannable"] == 1
    stuck.refresh_from_db()
    assert stuck.planning_retry_at > timezone.now()  # deferred again
    sweeps.plan_missing_conversations()
    assert proposed == [stuck.pk]


def test_the_per_case_service_defers_what_it_cannot_plan(office, counsellor, proposed):
    StaffProfile.objects.filter(user=counsellor).update(conversations_per_day=0)
    case = f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION)
    assert plan_next_for_case(case_id=case.pk) is None  # the order's task, after commit
    assert proposed == [case.pk]
    assert sweeps.plan_missing_conversations()["examined"] == 0
    assert proposed == [case.pk]


def test_a_stuck_case_is_still_counted_everywhere(stuck, office, manager, client):
    assert unplannable_by_office([office.pk]) == {office.pk: 1}
    assert [(o.pk, n) for o, n, _slot in planning_capacity([office])] == [(office.pk, 1)]
    metrics = {m.name: m for m in CounsellingCollector().collect()}
    assert metrics["returnpath_cases_without_planned_conversation"].samples[0].value == 1
    Case.objects.filter(pk=stuck.pk).update(opened_at=timezone.now() - dt.timedelta(hours=3))
    client.force_login(manager)
    assert client.get(reverse("operations:index")).context["stuck_cases_count"] == 1


@pytest.fixture
def second(office):
    """Another counsellor of the stuck case's office, with free days."""
    return f.staff(username="second", office=office)


def _planned(case, *, at=None):
    return f.ConversationFactory(case=case, counsellor=case.counsellor, office=case.office,
                                 planned_at=at or timezone.now() + dt.timedelta(days=3))


def _cancel(t):
    services.cancel_conversation(actor=t["second"], case_id=t["other"].pk, conversation_id=t["conversation"].pk, reason="Ill.")


def _reschedule(t):
    services.reschedule_conversation(actor=t["second"], case_id=t["other"].pk, conversation_id=t["conversation"].pk,
                                     planned_at=t["conversation"].planned_at + dt.timedelta(days=1), reason="Asked.")


def _no_show(t):
    t["conversation"].delete()
    past = _planned(t["other"], at=timezone.now() - dt.timedelta(hours=1))
    services.record_no_show(actor=t["second"], case_id=t["other"].pk, conversation_id=past.pk)


def _close(t):
    case_services.close_case(actor=t["manager"], case_id=t["other"].pk, reason="deceased", note="Died.")


def _hand_over(t):
    case_services.reassign_case(actor=t["manager"], case_id=t["other"].pk, office_id=t["office"].pk, counsellor_id=t["third"].pk)


def _new_counsellor(t):
    f.staff(username="newcomer", office=t["office"])


def _membership_reactivated(t):
    Membership.objects.filter(user=t["inactive"]).update(is_active=False)
    membership = Membership.objects.get(user=t["inactive"])
    membership.is_active = True
    membership.save()


def _user_reactivated(t):
    user = t["inactive"]
    user.is_active = True
    user.save()


def _more_hours(t):
    ConsultationHours.objects.create(office=t["office"], weekday=5, opens=dt.time(9), closes=dt.time(12))


def _more_conversations_a_day(t):
    profile = StaffProfile.objects.get(user=t["stuck"].counsellor)
    profile.conversations_per_day = 4
    profile.save()


def _office_saved(t):
    t["office"].save()


EVENTS = {
    "conversation cancelled": _cancel, "conversation rescheduled": _reschedule, "no-show": _no_show,
    "case closed": _close, "conversation handed over": _hand_over, "counsellor added": _new_counsellor,
    "membership reactivated": _membership_reactivated, "user reactivated": _user_reactivated,
    "consultation hours added": _more_hours, "conversations a day changed": _more_conversations_a_day,
    "office changed": _office_saved,
}


@pytest.mark.parametrize("event", EVENTS)
def test_freed_capacity_releases_the_stuck_cases_of_the_region_at_once(event, stuck, office, second, manager, other_office, proposed):
    inactive = f.UserFactory(username="inactive", is_active=False)
    StaffProfile.objects.create(user=inactive)
    Membership.objects.create(user=inactive, office=office, role=Membership.Role.COUNSELLOR)
    third = f.staff(username="third", office=office)  # the hand-over's new counsellor
    other = f.CaseFactory(office=office, counsellor=second, state=State.ORIENTATION)
    conversation = _planned(other)
    elsewhere = f.CaseFactory(office=other_office, counsellor=f.staff(username="antwerp", office=other_office), state=State.ORIENTATION)
    Case.objects.filter(pk__in=[stuck.pk, elsewhere.pk]).update(planning_retry_at=timezone.now() + dt.timedelta(minutes=10))
    assert sweeps.plan_missing_conversations()["examined"] == 0 and proposed == []

    EVENTS[event]({"stuck": stuck, "other": other, "conversation": conversation, "second": second, "manager": manager,
                   "office": office, "inactive": inactive, "third": third})

    stuck.refresh_from_db()
    elsewhere.refresh_from_db()
    assert stuck.planning_retry_at is None
    assert elsewhere.planning_retry_at is not None  # another region's capacity did not change
    sweeps.plan_missing_conversations()
    assert stuck.pk in proposed and elsewhere.pk not in proposed


def test_a_sign_in_releases_nothing(stuck, counsellor):
    counsellor.last_login = timezone.now()
    counsellor.save(update_fields=["last_login"])
    stuck.refresh_from_db()
    assert stuck.planning_retry_at is not None


def test_a_reassigned_case_is_plannable_at_once(stuck, office, manager, proposed):
    newcomer = f.staff(username="newcomer", office=office)
    Case.objects.filter(pk=stuck.pk).update(planning_retry_at=timezone.now() + dt.timedelta(minutes=10))
    # Reassigned without freeing anything in the region (the membership above released it before).
    case_services.reassign_case(actor=manager, case_id=stuck.pk, office_id=office.pk, counsellor_id=newcomer.pk)
    stuck.refresh_from_db()
    assert stuck.planning_retry_at is None
    assert sweeps.plan_missing_conversations()["planned"] == 1 and proposed == [stuck.pk]


def test_a_case_back_in_counselling_is_plannable_at_once(stuck, manager, proposed):
    address = {"street": "Rue 1", "postcode": "1000", "municipality": "Brussels"}
    case_services.update_address(actor=manager, case_id=stuck.pk, invalid=True, **address)
    case_services.lose_contact(actor=manager, case_id=stuck.pk)
    case_services.update_address(actor=manager, case_id=stuck.pk, **{**address, "street": "Rue 2"})
    Case.objects.filter(pk=stuck.pk).update(planning_retry_at=timezone.now() + dt.timedelta(minutes=10))
    case_services.re_establish_contact(actor=manager, case_id=stuck.pk)
    stuck.refresh_from_db()
    assert stuck.state == State.ORIENTATION and stuck.planning_retry_at is None
    sweeps.plan_missing_conversations()
    assert proposed == [stuck.pk]


def test_a_walk_in_logged_makes_the_case_plannable_at_once(stuck, counsellor, proposed):
    services.record_held_conversation(actor=counsellor, case_id=stuck.pk, conversation_id=None, stance="not_discussed")
    stuck.refresh_from_db()
    assert stuck.planning_retry_at is None
    sweeps.plan_missing_conversations()
    assert stuck.pk in proposed


def test_a_conversation_planned_by_hand_clears_the_retry_time(stuck, counsellor):
    StaffProfile.objects.filter(user=counsellor).update(conversations_per_day=6)
    services.plan_conversation(actor=counsellor, case_id=stuck.pk, planned_at=timezone.now() + dt.timedelta(days=2))
    stuck.refresh_from_db()
    assert stuck.planning_retry_at is None and stuck.next_conversation_at is not None


def test_a_freed_conversation_releases_the_longest_waiting_few_a_new_counsellor_all(stuck, office, counsellor, second, manager):
    waiting = f.CaseFactory.create_batch(backoff.RELEASED_PER_FREED_CONVERSATION + 2, office=office, counsellor=counsellor,
                                         state=State.ORIENTATION)
    now = timezone.now()
    for minutes, case in enumerate([stuck, *waiting]):  # stuck waited longest, the last one least
        Case.objects.filter(pk=case.pk).update(planning_retry_at=now + dt.timedelta(minutes=1 + minutes))
    other = f.CaseFactory(office=office, counsellor=second, state=State.ORIENTATION)
    conversation = _planned(other)
    services.cancel_conversation(actor=second, case_id=other.pk, conversation_id=conversation.pk, reason="Ill.")
    released = set(Case.objects.filter(pk__in=[stuck.pk, *(c.pk for c in waiting)], planning_retry_at__isnull=True)
                   .values_list("pk", flat=True))
    assert released == {stuck.pk, *(c.pk for c in waiting[: backoff.RELEASED_PER_FREED_CONVERSATION - 1])}
    f.staff(username="newcomer", office=office)  # many slots at once: every stuck case of the region
    assert not backoff.deferred_cases().exists()


def test_a_playbook_changed_releases_the_stuck_cases_that_follow_it_in_every_region(stuck, other_office, proposed):
    """Decision 123: a playbook says what the planner looks for (conversation length, cadence, intake
    window). Edited (in the admin), the cases that follow it are looked at again, wherever they are."""
    elsewhere = f.CaseFactory(office=other_office, counsellor=f.staff(username="antwerp", office=other_office),
                              state=State.ORIENTATION)
    family = f.CaseFactory(office=other_office, counsellor=elsewhere.counsellor, state=State.ORIENTATION,
                           target_group="family", playbook=f.playbook("family"))
    later = timezone.now() + dt.timedelta(minutes=10)
    Case.objects.filter(pk__in=[stuck.pk, elsewhere.pk, family.pk]).update(planning_retry_at=later)
    assert stuck.playbook_id == elsewhere.playbook_id != family.playbook_id

    playbook = stuck.playbook
    playbook.conversation_minutes = 30
    playbook.save()

    assert set(backoff.deferred_cases().values_list("pk", flat=True)) == {family.pk}
    sweeps.plan_missing_conversations()
    assert {stuck.pk, elsewhere.pk} <= set(proposed) and family.pk not in proposed
