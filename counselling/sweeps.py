"""Periodic sweeps: the database says what is due, the sweep does it, twice changes nothing.

Every sweep walks its rows by ascending id in bounded batches; each batch is one short
transaction that claims its rows with ``select_for_update(skip_locked=True)``, so two workers
(or a sweep and a counsellor) never act on the same row, and a worker killed mid-sweep loses at
most its open batch, which the next run finds again. Each run leaves a :class:`SweepRun` row for
the operations view.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import logging
import time
import traceback
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import legal
from cases.models import COUNSELLED_STATES, OPEN_STATES, Case, CaseEvent, DetentionPeriod, Playbook, State
from cases.services import minors, propose_lose_contact, record_event
from cases.steps import LOSE_CONTACT_STATES
from counselling import backoff, delivery, messaging
from counselling.models import Conversation, MessageTemplate, SweepRun
from counselling.scheduling import Planner, PlanningReference, cases_for_planning, lock_agendas, plan_next_for_case
from counselling.services import conversation_planned_event
from returnpath import bulk
from returnpath.actors import SYSTEM

logger = logging.getLogger("returnpath.sweeps")

PLAN = "plan_missing_conversations"
MESSAGES = "send_due_messages"
OVERDUE = "flag_overdue_conversations"
NO_SHOWS = "apply_no_show_rule"
WARNINGS = "warn_deadlines"
COMING_OF_AGE = "notice_coming_of_age"
SWEEPS = (PLAN, MESSAGES, OVERDUE, NO_SHOWS, WARNINGS, COMING_OF_AGE)
DEADLINE_STATES = tuple(s for s in COUNSELLED_STATES if s != State.LEGAL_STAY_REVIEW)


def batch_size() -> int:
    return getattr(settings, "RETURNPATH_SWEEP_BATCH_SIZE", 500)


def sweep_lease() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "RETURNPATH_SWEEP_LEASE_SECONDS", 600))


_current_run: contextvars.ContextVar[tuple[int, float] | None] = contextvars.ContextVar("sweep_run", default=None)


def heartbeat() -> None:
    """Tell the operations view this run is alive (at most every few seconds; decision 032)."""
    current = _current_run.get()
    if current is None:
        return
    pk, last = current
    if time.monotonic() - last < min(10.0, sweep_lease().total_seconds() / 4):
        return
    SweepRun.objects.filter(pk=pk).update(heartbeat_at=timezone.now())
    _current_run.set((pk, time.monotonic()))


def mark_abandoned(now: dt.datetime | None = None) -> int:
    """Runs whose heartbeat is older than the lease: their worker died. Never "running" for ever."""
    now = now or timezone.now()
    return SweepRun.objects.filter(finished_at__isnull=True, abandoned_at__isnull=True).filter(
        Q(heartbeat_at__lt=now - sweep_lease()) | Q(heartbeat_at__isnull=True, started_at__lt=now - sweep_lease())
    ).update(abandoned_at=now)


@contextlib.contextmanager
def recorded(name: str) -> Iterator[dict]:
    """Record one run of a sweep (committed at once, so a crashed run shows as unfinished)."""
    mark_abandoned()
    now = timezone.now()
    run = SweepRun.objects.create(name=name, started_at=now, heartbeat_at=now)
    token = _current_run.set((run.pk, time.monotonic()))
    counts: dict = {}
    try:
        yield counts
    except Exception:
        SweepRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), counts=counts, error=traceback.format_exc()[-4000:])
        raise
    finally:
        _current_run.reset(token)
    SweepRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), counts=counts)


def _keyset(queryset: QuerySet, work: Callable[[list[int]], None], limit: int | None = None) -> int:
    """Claim ids in ascending batches (skip-locked) and hand each locked batch to ``work``."""
    size = limit or batch_size()
    last_id, total = 0, 0
    while True:
        with transaction.atomic():
            ids = list(
                queryset.filter(pk__gt=last_id).order_by("pk")
                .select_for_update(skip_locked=True, of=("self",))
                .values_list("pk", flat=True)[:size]
            )
            if not ids:
                return total
            last_id = ids[-1]
            work(ids)
        total += len(ids)
        heartbeat()


# --- planning --------------------------------------------------------------------------------
def cases_needing_conversation() -> QuerySet:
    """Open counselled cases with a counsellor and no planned conversation — stuck ones included:
    what the office dashboard, the operations view and ``/metrics`` count.

    Read from the case's own ``next_conversation_at`` (the services keep it equal to the planned
    conversation, in the same transaction), through the partial index ``case_needs_conversation``:
    the cost is the number of due cases, not an anti-join over every counselled case (decision 066).
    """
    return Case.objects.filter(
        state__in=COUNSELLED_STATES, next_conversation_at__isnull=True, counsellor__isnull=False, office__isnull=False
    )


def cases_due_for_planning() -> QuerySet:
    """The cases of :func:`cases_needing_conversation` the planning sweep tries now: not those the
    planner could not fit and tries again later (``planning_retry_at``; :mod:`counselling.backoff`,
    decision 123), through the partial index ``case_due_for_planning``."""
    return cases_needing_conversation().filter(planning_retry_at__isnull=True)


def plan_batch(ids: list[int], *, now: dt.datetime | None = None, reference: PlanningReference | None = None) -> tuple[int, int]:
    """Plan the next conversation for a locked batch of cases: a few queries and set-based writes.

    The same planner as :func:`counselling.scheduling.plan_next_for_case` (one
    :class:`~counselling.scheduling.Planner` for the whole batch, its agenda loaded in one query
    and booked in memory, with the region's other offices when an agenda is full) and the same
    event. Writes: one INSERT of the conversations, one UPDATE of the cases' next conversation,
    one INSERT of the events (decision 111); one UPDATE of the retry time of the cases no office
    could take (decision 123). Returns (planned, unplannable).
    """
    now = now or timezone.now()
    cases = cases_for_planning(Case.objects.filter(pk__in=ids), reference)
    lock_agendas({c.counsellor_id for c in cases})
    planner = Planner(cases, now=now, overflow=True)
    conversations = []
    stuck = []
    for case in cases:
        proposal = planner.propose(case)
        if proposal is None:
            stuck.append(case.pk)
            continue
        conversation = Conversation(
            case=case, counsellor_id=proposal.counsellor_id, office_id=proposal.office_id, mode=proposal.mode,
            planned_at=proposal.planned_at, duration_minutes=proposal.duration_minutes,
            interpreter_language=proposal.interpreter_language, is_intake=proposal.is_intake,
        )
        if proposal.office_id == case.office_id:
            conversation.office = case.office  # loaded with the case: the event names it without a query
        conversations.append(conversation)
    backoff.defer_planning(stuck, now=now)
    if not conversations:
        return 0, len(cases)
    try:
        with transaction.atomic():
            bulk.insert(conversations)
    except IntegrityError:
        # Someone planned by hand outside the agenda lock (another database, a race we did not
        # foresee): fall back to the one-by-one service, which reports and skips the conflict
        # (it plans a deferred case it can fit, and defers what it cannot).
        logger.warning("Bulk planning conflicted; planning %s cases one by one", len(ids))
        planned = sum(1 for pk in ids if _plan_one(pk))
        return planned, len(cases) - planned
    set_next_conversations({c.case_id: c.planned_at for c in conversations}, now=now)
    # No invitation task per row: the message sweep sends the invitations (decision 006).
    bulk.insert([conversation_planned_event(conversation, actor=SYSTEM) for conversation in conversations])
    return len(conversations), len(cases) - len(conversations)


def set_next_conversations(planned: dict[int, dt.datetime], *, now: dt.datetime) -> None:
    """``next_conversation_at`` of each case (id → planned time) in one UPDATE, as the per-case
    service sets it with its conversation (and ``updated_at``, as its ``save`` does)."""
    if not planned:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(Case._meta.db_table)
            cursor.execute(
                f"UPDATE {table} SET next_conversation_at = v.at, updated_at = %s "  # noqa: S608 - the name from the model
                f"FROM unnest(%s::bigint[], %s::timestamptz[]) AS v(id, at) WHERE {table}.id = v.id",
                [now, list(planned), list(planned.values())],
            )
        return
    cases = [Case(pk=pk, next_conversation_at=at, updated_at=now) for pk, at in planned.items()]
    Case.objects.bulk_update(cases, ["next_conversation_at", "updated_at"])


def _plan_one(case_id: int) -> bool:
    from returnpath.errors import DomainError

    try:
        with transaction.atomic():
            return plan_next_for_case(case_id=case_id) is not None
    except DomainError:
        return False


def plan_missing_conversations() -> dict:
    with recorded(PLAN) as counts:
        counts.update(planned=0, unplannable=0)
        # The stuck cases whose back-off has passed join the due ones (decision 123).
        counts["retried"] = backoff.wake_due(now=timezone.now())
        reference = PlanningReference()  # playbooks and offices: read once per run

        def work(ids: list[int]) -> None:
            planned, unplannable = plan_batch(ids, reference=reference)
            counts["planned"] += planned
            counts["unplannable"] += unplannable

        counts["examined"] = _keyset(cases_due_for_planning(), work)
    return counts


def plan_missing_one_by_one() -> dict:
    """The per-case loop (for comparison in bench/planning.py): the service once per case."""
    counts = {"planned": 0, "unplannable": 0}
    backoff.wake_due(now=timezone.now())
    for case_id in cases_due_for_planning().order_by("pk").values_list("pk", flat=True):
        if _plan_one(case_id):
            counts["planned"] += 1
        else:
            counts["unplannable"] += 1
    return counts


# --- messages --------------------------------------------------------------------------------
def send_due_messages() -> dict:
    with recorded(MESSAGES) as counts:
        counts.update(invitations=0, reminders=0, retried=0, sent=0, failed=0, no_template=0)
        started = timezone.now()
        # First what a dead sender left: claimed but never started goes out now; started but
        # never confirmed is settled with the backend or marked uncertain (decision 030).
        stranded = delivery.reclaim_stranded(now=started)
        if stranded:
            resent = delivery.send_claimed(stranded, on_progress=heartbeat)
            counts["stranded"] = resent["sent"] + resent["failed"]
            _add(counts, resent)
        _add(counts, delivery.settle_started(now=started))
        for kind, key, due in (
            (MessageTemplate.Kind.INVITATION, "invitations", messaging.due_invitations),
            (MessageTemplate.Kind.REMINDER, "reminders", messaging.due_reminders),
        ):
            while True:
                claimed = messaging.claim(kind=kind, conversations=due(), limit=batch_size())
                if not claimed.conversations:
                    break
                counts[key] += claimed.messages
                counts["no_template"] += claimed.no_template
                _add(counts, delivery.send_claimed(claimed.token, on_progress=heartbeat))
                heartbeat()
        while True:
            claimed = messaging.claim_retries(limit=batch_size(), claimed_before=started)
            if not claimed.messages:
                break
            counts["retried"] += claimed.messages
            _add(counts, delivery.send_claimed(claimed.token, on_progress=heartbeat))
    return counts


def _add(counts: dict, more: dict) -> None:
    for key, value in more.items():
        counts[key] = counts.get(key, 0) + value


# --- overdue outcomes, no-shows ----------------------------------------------------------------
def overdue_grace() -> dt.timedelta:
    return dt.timedelta(hours=getattr(settings, "RETURNPATH_OVERDUE_GRACE_HOURS", 3))


def overdue_conversations(now: dt.datetime | None = None) -> QuerySet:
    now = now or timezone.now()
    return Conversation.objects.filter(status=Conversation.Status.PLANNED, planned_at__lt=now - overdue_grace())


def flag_overdue_conversations() -> dict:
    with recorded(OVERDUE) as counts:
        now = timezone.now()

        def work(ids: list[int]) -> None:
            counts["flagged"] = counts.get("flagged", 0) + Conversation.objects.filter(pk__in=ids).update(overdue_flagged_at=now)

        counts["flagged"] = 0
        _keyset(overdue_conversations(now).filter(overdue_flagged_at__isnull=True), work)
    return counts


def cases_over_no_show_limit() -> QuerySet:
    # consecutive_no_shows > 0 first: the partial index case_no_shows_pending holds only those cases.
    return Case.objects.filter(
        consecutive_no_shows__gt=0, state__in=LOSE_CONTACT_STATES, lose_contact_proposed_at__isnull=True
    ).filter(
        Q(playbook__isnull=False, consecutive_no_shows__gte=F("playbook__no_shows_before_lose_contact"))
        | Q(playbook__isnull=True, consecutive_no_shows__gte=Playbook.fallback().no_shows_before_lose_contact)
    )


def apply_no_show_rule() -> dict:
    with recorded(NO_SHOWS) as counts:
        counts["proposed"] = 0

        def work(ids: list[int]) -> None:
            for case in Case.objects.filter(pk__in=ids).order_by("pk"):
                note = _("%(count)s consecutive no-shows.") % {"count": case.consecutive_no_shows}
                counts["proposed"] += bool(propose_lose_contact(case=case, actor=SYSTEM, note=note))

        _keyset(cases_over_no_show_limit(), work)
    return counts


# --- deadline and detention warnings --------------------------------------------------------------
def warning_days() -> tuple[int, int]:
    return (getattr(settings, "RETURNPATH_DEADLINE_WARNING_DAYS", 7), getattr(settings, "RETURNPATH_DETENTION_WARNING_DAYS", 14))


def warn_deadlines() -> dict:
    """A DEADLINE_WARNING once per (case, deadline); per detention title a warning before its
    limit and an alert once it passed (:func:`warn_detention_batch`)."""
    with recorded(WARNINGS) as counts:
        counts.update(deadline=0, detention=0)
        today = timezone.localdate()
        deadline_days, detention_days = warning_days()

        def deadlines(ids: list[int]) -> None:
            warned = {
                (case_id, data.get("deadline"))
                for case_id, data in CaseEvent.objects.filter(case_id__in=ids, kind=CaseEvent.Kind.DEADLINE_WARNING).values_list("case_id", "data")
            }
            for case in Case.objects.filter(pk__in=ids).order_by("pk"):
                key = case.departure_deadline.isoformat()
                if (case.pk, key) in warned:
                    continue
                days = (case.departure_deadline - today).days
                record_event(case=case, actor=SYSTEM, kind=CaseEvent.Kind.DEADLINE_WARNING,
                             note=_("The departure deadline is in %(days)s days.") % {"days": days}, data={"deadline": key})
                counts["deadline"] += 1

        _keyset(
            Case.objects.filter(state__in=DEADLINE_STATES, departure_deadline__gte=today,
                                departure_deadline__lte=today + dt.timedelta(days=deadline_days)),
            deadlines,
        )

        def detentions(ids: list[int]) -> None:
            counts["detention_passed"] += warn_detention_batch(ids, today=today, lead_days=detention_days, counts=counts)

        counts["detention_passed"] = 0
        # The shortest limit is 2 months: only periods older than ~45 days can be near one.
        # From the running titles (partial index detention_running) to their cases, not the reverse.
        held = DetentionPeriod.objects.filter(
            ended_on__isnull=True, started_on__lte=today - dt.timedelta(days=59 - detention_days),
        ).values("case_id")
        _keyset(Case.objects.filter(state__in=OPEN_STATES, pk__in=held), detentions)
    return counts


def warn_detention_batch(ids: list[int], *, today: dt.date, lead_days: int, counts: dict) -> int:
    """Per open detention title (locked cases): a DETENTION_WARNING once per (period, limit) in the
    last ``lead_days`` before the limit, and a DETENTION_LIMIT_PASSED alert once per (period, limit)
    from the day after the limit when neither a release nor an extension came (Aliens Act art. 7)."""
    seen = {
        (kind, data.get("period"), data.get("limit"))
        for kind, data in CaseEvent.objects.filter(
            case_id__in=ids, kind__in=(CaseEvent.Kind.DETENTION_WARNING, CaseEvent.Kind.DETENTION_LIMIT_PASSED)
        ).values_list("kind", "data")
    }
    passed = 0
    for period in DetentionPeriod.objects.filter(case_id__in=ids, ended_on__isnull=True).select_related("case"):
        limit = period.limit_date
        key = limit.isoformat()
        if today > limit:
            if (CaseEvent.Kind.DETENTION_LIMIT_PASSED, period.pk, key) not in seen:
                record_event(case=period.case, actor=SYSTEM, kind=CaseEvent.Kind.DETENTION_LIMIT_PASSED,
                             data={"period": period.pk, "limit": key, "days_held": period.days_held})
                passed += 1
        elif (limit - today).days <= lead_days and (CaseEvent.Kind.DETENTION_WARNING, period.pk, key) not in seen:
            record_event(case=period.case, actor=SYSTEM, kind=CaseEvent.Kind.DETENTION_WARNING,
                         note=_("The detention limit is reached on %(date)s.") % {"date": limit.strftime("%d/%m/%Y")},
                         data={"period": period.pk, "limit": key})
            counts["detention"] += 1
    return passed


# --- unaccompanied minors coming of age --------------------------------------------------------
def notice_coming_of_age() -> dict:
    """An unaccompanied minor's 18th birthday: an event, and the case before the counsellor."""
    with recorded(COMING_OF_AGE) as counts:
        counts["noticed"] = 0
        today = timezone.localdate()

        def work(ids: list[int]) -> None:
            for case in Case.objects.filter(pk__in=ids).select_related("person").order_by("pk"):
                counts["noticed"] += bool(minors.notice_coming_of_age(case=case, today=today))

        _keyset(
            Case.objects.filter(state__in=OPEN_STATES, unaccompanied_minor=True, came_of_age_on__isnull=True,
                                person__birth_date__lte=legal.add_months(today, -12 * 18)),
            work,
        )
    return counts


RUNNERS: dict[str, Callable[[], dict]] = {
    PLAN: plan_missing_conversations,
    MESSAGES: send_due_messages,
    OVERDUE: flag_overdue_conversations,
    NO_SHOWS: apply_no_show_rule,
    WARNINGS: warn_deadlines,
    COMING_OF_AGE: notice_coming_of_age,
}
