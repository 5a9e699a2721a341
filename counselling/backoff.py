"""The planning back-off: a case no office can fit is not examined again at every sweep (decision 123).

When the planner finds no slot for a case (the sweep's batch, or the per-case service), the case
records when to try again (``Case.planning_retry_at``, ``RETURNPATH_PLANNING_RETRY_MINUTES`` on).
The planning sweep walks only the cases without such a time (partial index
``case_due_for_planning``) after waking those whose time has come (``case_planning_deferred``):
its cost is the number of due cases, not the backlog of stuck ones.

Nobody falls out of sight: a deferred case still has no planned conversation, and every count of
those (the office dashboard's unplannable cases, the operations view, ``/metrics``) reads
:func:`counselling.sweeps.cases_needing_conversation`, which does not look at the retry time.

Freed capacity is used at the next sweep, not after the back-off: whatever frees a slot (a
conversation cancelled, moved, handed over or not held; a counsellor added or reactivated;
consultation hours, conversations a day or an office changed) calls :func:`release_stuck_cases`
for the offices concerned, in the same transaction: the stuck cases of their regions are due
again (one UPDATE through ``case_planning_deferred``). The planner offers a full office's case to
the other offices of its region (decision 035), so capacity anywhere in the region counts. A
playbook changed releases the stuck cases that follow it, in every region (:func:`release_playbook`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db.models import QuerySet

from cases.models import Case, Playbook
from offices.models import Office
from offices.regions import region_of


def retry_delay() -> dt.timedelta:
    """How long a case the planner could not fit waits before the sweep tries it again."""
    return dt.timedelta(minutes=settings.RETURNPATH_PLANNING_RETRY_MINUTES)


def deferred_cases() -> QuerySet[Case]:
    """Cases without a planned conversation that the planner tries again later (``case_planning_deferred``)."""
    from counselling.sweeps import cases_needing_conversation

    return cases_needing_conversation().filter(planning_retry_at__isnull=False)


def defer_planning(case_ids: Iterable[int], *, now: dt.datetime) -> int:
    """The planner found no slot for these cases: the sweep tries them again after the back-off."""
    ids = list(case_ids)
    if not ids:
        return 0
    # updated_at untouched: nothing about the case changed for its readers (the API's updated_since).
    return Case.objects.filter(pk__in=ids).update(planning_retry_at=now + retry_delay())


def wake_due(*, now: dt.datetime) -> int:
    """The deferred cases whose retry time has come become due for the sweep: through
    ``case_planning_deferred`` (a range on the retry time). Looked for first: an UPDATE, even of no
    row, runs the case table's statement triggers (about 1 ms warm, 7 ms in a new session)."""
    due = deferred_cases().filter(planning_retry_at__lte=now)
    if not due.exists():
        return 0
    return due.update(planning_retry_at=None)


# A conversation that ends before its time frees one slot: it releases this many of the region's
# stuck cases (those waiting longest first), not all of them. At 1M, releasing the 20,000 stuck
# cases of Brussels took 2.5 s inside the cancelling transaction, and the next sweep examined them
# all again: a region with cancellations every few minutes would be back to the cost the back-off
# removes. A few: the planner may not place the first (another office, no common language).
RELEASED_PER_FREED_CONVERSATION = 10


def release_stuck_cases(*, office_ids: Iterable[int | None], limit: int | None = None) -> int:
    """Capacity freed at these offices: stuck cases of their regions are due at the next sweep —
    all of them, or the ``limit`` that have waited longest (one freed conversation).

    Called inside the transaction that frees the capacity, so the sweep that sees the freed slot
    also sees the released cases. Two statements: the offices (a few dozen rows), and one UPDATE
    of the deferred cases of the regions' offices through ``case_planning_deferred``.
    """
    ids = {int(i) for i in office_ids if i}
    if not ids:
        return 0
    offices = dict(Office.objects.values_list("pk", "province"))
    regions = {region_of(offices[pk]) for pk in ids if pk in offices}
    region_offices = [pk for pk, province in offices.items() if pk in ids or (region_of(province) in regions - {""})]
    cases = deferred_cases().filter(office_id__in=region_offices)
    if limit is not None:
        # In retry order, through the index: stops after ``limit`` rows.
        cases = Case.objects.filter(pk__in=cases.order_by("planning_retry_at").values("pk")[:limit])
    return cases.update(planning_retry_at=None)


def conversation_freed(*, office_id: int | None) -> int:
    """A planned conversation at this office ended before its time (cancelled, moved, handed over,
    not held): the region's :data:`RELEASED_PER_FREED_CONVERSATION` longest-waiting stuck cases."""
    return release_stuck_cases(office_ids=[office_id], limit=RELEASED_PER_FREED_CONVERSATION)


def release_playbook(playbook_id: int) -> int:
    """A playbook changed (conversation length, cadence, intake window): the planner may now fit
    what it could not, so the stuck cases that follow it are due at the next sweep, in every
    region (a playbook is national)."""
    return deferred_cases().filter(playbook_id=playbook_id).update(planning_retry_at=None)


def plannable_at_once(case: Case) -> None:
    """The case changed in a way that may make it plannable (reassigned, back into counselling, an
    outcome logged): the sweep may try it at once. In memory and in the row (the caller holds its lock)."""
    if "planning_retry_at" in case.__dict__:  # loaded under the caller's lock: current
        if case.planning_retry_at is None:
            return
        case.planning_retry_at = None  # a later save of the instance must not bring it back
    Case.objects.filter(pk=case.pk, planning_retry_at__isnull=False).update(planning_retry_at=None)


# --- capacity changed in the reference data (the admin) ---------------------------------------
def _offices_of_counsellor(user_id: int) -> list[int]:
    from offices.models import Membership

    return list(Membership.objects.filter(user_id=user_id, role=Membership.Role.COUNSELLOR, is_active=True)
                .values_list("office_id", flat=True))


def capacity_changed(sender, instance, **kwargs) -> None:
    """Receiver of post_save of the reference data that makes room in an agenda (connected in
    ``CounsellingConfig.ready``): an office's consultation hours, a counsellor's membership of an
    office, their staff profile (conversations a day), the user (reactivated), the office itself,
    a playbook (what the planner looks for).

    These change in the admin, never in a service (the offices app may not call counselling), so a
    signal, as for the reference-data cache (``offices.reference``); it runs in the admin's
    transaction. A save that takes capacity away releases the region too: the stuck cases are
    looked at once more, and deferred again if nothing changed for them.
    """
    from offices.models import ConsultationHours, Membership, StaffProfile

    if sender is Playbook:
        release_playbook(instance.pk)
    elif sender is ConsultationHours:
        release_stuck_cases(office_ids=[instance.office_id])
    elif sender is Membership:
        if instance.is_active and instance.role == Membership.Role.COUNSELLOR:
            release_stuck_cases(office_ids=[instance.office_id])
    elif sender is StaffProfile:
        release_stuck_cases(office_ids=_offices_of_counsellor(instance.user_id))
    elif sender is Office:
        if instance.is_active:
            release_stuck_cases(office_ids=[instance.pk])
    else:  # the user: only when active and the save may have changed that (not a sign-in's last_login)
        update_fields = kwargs.get("update_fields")
        if instance.is_active and (update_fields is None or "is_active" in update_fields):
            release_stuck_cases(office_ids=_offices_of_counsellor(instance.pk))


def register() -> None:
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_save

    from offices.models import ConsultationHours, Membership, StaffProfile

    for model in (ConsultationHours, Membership, StaffProfile, Office, Playbook, get_user_model()):
        post_save.connect(capacity_changed, sender=model, dispatch_uid=f"counselling.backoff.{model.__name__}")
