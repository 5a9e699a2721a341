"""Planning conversations: when, where, with whom (DESIGN §4).

Contract used by the browser and the sweeps:

    propose_next_conversation(*, case, after=None) -> Proposal | None

Rules, in order:

- The intake (no conversation held yet) falls within the playbook's working days after
  notification, at the first free slot; when that window has already passed, from now.
- After a held conversation the next one follows the playbook cadence for the case's state,
  brought forward as the departure deadline approaches: in its last 7 days at most
  ``final_week_cadence_days`` apart, and never skipping over the start of that week.
- Only inside the office's consultation hours, on working days (no weekend, no Belgian public
  holiday), never overlapping another planned conversation of the counsellor, and no more than
  the counsellor's ``conversations_per_day``.

Times are Europe/Brussels wall-clock times: a slot is built from a local date and a local time
with ``zoneinfo`` (never by adding hours across a daylight-saving change), so "Monday 09:00"
is 09:00 in Brussels in both winter and summer.

One planner (decision 091): the :class:`Agenda` holds what the counsellors already have and
says whether a counsellor is free (:meth:`Agenda.is_free`, the only availability rule, also
behind :func:`counsellor_is_free` for a time chosen by hand); :func:`find_slot` finds the first
free slot; a :class:`Planner` proposes for a set of cases against one agenda, so the browser's
proposal, the per-case service (a set of one) and the bulk sweep (a batch, with the region's
other offices when the agenda is full) follow the same rules and build the same
:class:`Proposal`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from cases import legal
from cases.models import COUNSELLED_STATES, Case, Playbook
from counselling.models import Conversation
from offices.models import ConsultationHours, Office
from returnpath.actors import SYSTEM, Actor

BRUSSELS = ZoneInfo("Europe/Brussels")
SLOT_STEP_MINUTES = 30
FINAL_WEEK_DAYS = 7
# Slots are looked for this many calendar days after the first allowed day.
HORIZON_DAYS = 120
# Conversations that still occupy the agenda: planned ones, and held ones (they took the time).
BUSY_STATUSES = (Conversation.Status.PLANNED, Conversation.Status.HELD)
# pg_advisory_xact_lock(namespace, id): one namespace for "a counsellor's agenda".
AGENDA_LOCK_NAMESPACE = 5_001


@dataclass(frozen=True)
class Proposal:
    planned_at: dt.datetime
    office_id: int
    counsellor_id: int
    mode: str
    interpreter_language: str
    duration_minutes: int
    is_intake: bool = False
    # The slot falls after the playbook's window (intake) or target date: no earlier slot was free.
    late: bool = False


def min_lead() -> dt.timedelta:
    """How far ahead of now the planner plans at the earliest (the invitation must reach the person)."""
    return dt.timedelta(hours=getattr(settings, "RETURNPATH_PLANNING_MIN_LEAD_HOURS", 2))


def lock_agendas(counsellor_ids: Iterable[int | None]) -> None:
    """Serialise planning per counsellor until the end of the transaction.

    The unique constraint only stops two conversations at the *same* start; two planners
    choosing overlapping slots with different starts would both pass it. Locks are taken in id
    order so two sweeps never deadlock. SQLite serialises writers anyway.
    """
    if connection.vendor != "postgresql":
        return
    ids = sorted({int(i) for i in counsellor_ids if i})
    if not ids:
        return
    with connection.cursor() as cursor:
        # One statement: unnest hands the sorted ids to the lock function in order.
        cursor.execute("SELECT count(pg_advisory_xact_lock(%s, k)) FROM unnest(%s::integer[]) AS k", [AGENDA_LOCK_NAMESPACE, ids])


# What the planner reads of a case (and of its person: the languages), nothing more.
PLANNING_FIELDS = (
    "state", "counsellor", "office", "playbook", "person", "person__languages", "held_conversations",
    "first_notified_on", "opened_at", "last_contact_at", "departure_deadline", "next_conversation_at", "updated_at",
)


@dataclass
class PlanningReference:
    """Playbooks and offices by id, read once for a whole sweep run (a few dozen rows each, shared
    by every case instead of one copy per case row); only ids not seen yet cost a query."""

    playbooks: dict[int, Playbook] = field(default_factory=dict)
    offices: dict[int, Office] = field(default_factory=dict)

    def fill(self, cases: Iterable[Case]) -> None:
        for found, model, ids in (
            (self.playbooks, Playbook, {c.playbook_id for c in cases if c.playbook_id}),
            (self.offices, Office, {c.office_id for c in cases if c.office_id}),
        ):
            missing = ids - found.keys()
            if missing:
                found.update(model.objects.in_bulk(missing))


def cases_for_planning(cases: QuerySet[Case], reference: PlanningReference | None = None) -> list[Case]:
    """The cases of ``cases`` (ascending id) with what :class:`Planner` reads, in one query: their
    fields, their person's languages, their counsellors with staff profile; their playbooks and
    offices from ``reference`` (per run; a fresh one otherwise)."""
    found = list(cases.select_related("person", "counsellor__staff_profile").only(*PLANNING_FIELDS).order_by("pk"))
    reference = reference or PlanningReference()
    reference.fill(found)
    for case in found:
        # Assigning the loaded rows fills the relations' caches (the ids are the case's own).
        case.playbook = reference.playbooks[case.playbook_id] if case.playbook_id else None
        case.office = reference.offices[case.office_id] if case.office_id else None
    return found


def local_datetime(day: dt.date, at: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, at, tzinfo=BRUSSELS)


def _start_of_day(day: dt.date) -> dt.datetime:
    return local_datetime(day, dt.time(0))


class OfficeHours:
    """Consultation hours of a set of offices, loaded once: office id → weekday → [(opens, closes)]."""

    def __init__(self, office_ids: Iterable[int]):
        self.blocks: dict[int, dict[int, list[tuple[dt.time, dt.time]]]] = defaultdict(lambda: defaultdict(list))
        for office_id, weekday, opens, closes in ConsultationHours.objects.filter(office_id__in=set(office_ids)).values_list(
            "office_id", "weekday", "opens", "closes"
        ).order_by("office_id", "weekday", "opens"):
            self.blocks[office_id][weekday].append((opens, closes))

    def has_hours(self, office_id: int | None) -> bool:
        return office_id in self.blocks

    def slots(self, office_id: int, day: dt.date, minutes: int):
        """Aware start times on ``day`` where a conversation of ``minutes`` fits in one block."""
        for opens, closes in self.blocks.get(office_id, {}).get(day.weekday(), ()):
            start = local_datetime(day, opens)
            end = local_datetime(day, closes)
            # Within one day's block the wall clock and absolute time agree (no office opens at 02:00).
            while start + dt.timedelta(minutes=minutes) <= end:
                yield start
                start += dt.timedelta(minutes=SLOT_STEP_MINUTES)


@dataclass
class Agenda:
    """The counsellors' busy time between two dates, loaded in one query, booked in memory."""

    busy: dict[int, dict[dt.date, list[tuple[dt.datetime, dt.datetime]]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    # Counsellors whose conversations are loaded (the overflow adds another office's later).
    loaded: set[int] = field(default_factory=set)
    # Full days known by their number of conversations, (counsellor, day) → conversations; their
    # rows are in ``busy`` only when one runs past midnight (the next day's :meth:`is_free` looks
    # at it). The slot finder never looks for a slot on them (decision 117).
    counted: dict[tuple[int, dt.date], int] = field(default_factory=dict)
    # Cases whose conversations a counted agenda leaves out (the planner for one case: its own).
    excluded: set[int] = field(default_factory=set)
    # (counsellor, limit, day) → the first open day from it found so far (:meth:`next_open_day`).
    walked: dict[tuple[int, int, dt.date], dt.date] = field(default_factory=dict)

    @classmethod
    def load(cls, counsellor_ids: Iterable[int], first_day: dt.date, last_day: dt.date, exclude_case_ids=()) -> Agenda:
        agenda = cls()
        agenda.add(counsellor_ids, first_day, last_day, exclude_case_ids)
        return agenda

    def add(
        self, counsellor_ids: Iterable[int], first_day: dt.date, last_day: dt.date, exclude_case_ids=(),
        per_day: Mapping[int, int] | None = None,
    ) -> None:
        """Load the conversations of the counsellors not loaded yet (one query).

        With ``per_day`` (counsellor → conversations a day, as the slot finder will ask), on
        PostgreSQL, a day that many conversations fill is read as its count, not row by row: at a
        million cases a counsellor's next weeks are mostly full (decision 117).
        """
        missing = set(counsellor_ids) - self.loaded
        if not missing:
            return
        self.loaded |= missing
        if per_day is not None and connection.vendor == "postgresql":
            self.excluded |= {int(i) for i in exclude_case_ids}
            self._add_counted({c: per_day[c] for c in missing}, first_day, last_day, exclude_case_ids)
            return
        rows = Conversation.objects.filter(
            counsellor_id__in=missing,
            status__in=BUSY_STATUSES,
            planned_at__gte=_start_of_day(first_day),
            planned_at__lt=_start_of_day(last_day + dt.timedelta(days=1)),
        )
        if exclude_case_ids:
            rows = rows.exclude(case_id__in=exclude_case_ids)
        # Read index-only (conversation_agenda); booked as :meth:`book` does, without its call per row.
        busy, minute = self.busy, dt.timedelta(minutes=1)
        # Unordered (the rule does not depend on the order): no sort of the model's default ordering.
        for counsellor_id, planned_at, minutes in rows.values_list("counsellor_id", "planned_at", "duration_minutes").order_by():
            busy[counsellor_id][planned_at.astimezone(BRUSSELS).date()].append((planned_at, planned_at + minutes * minute))

    def _add_counted(self, per_day: dict[int, int], first_day: dt.date, last_day: dt.date, exclude_case_ids) -> None:
        """One statement, one row per counsellor and day: its number of conversations and, unless
        that number fills the day (and none of them runs past midnight), the conversations."""
        days = [first_day + dt.timedelta(days=i) for i in range((last_day - first_day).days + 1)]
        # Local midnights: width_bucket finds a conversation's local day without a time zone conversion per row.
        midnights = [_start_of_day(day) for day in days] + [_start_of_day(last_day + dt.timedelta(days=1))]
        table = connection.ops.quote_name(Conversation._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""WITH per(counsellor_id, per_day) AS (SELECT * FROM unnest(%s::integer[], %s::integer[])),
                         bounds(at) AS (SELECT %s::timestamptz[])
                    SELECT v.counsellor_id, width_bucket(v.planned_at, bounds.at) AS day, count(*),
                           CASE WHEN count(*) < min(per.per_day) OR max(v.planned_at + v.duration_minutes * interval '1 minute')
                                     > min(bounds.at[width_bucket(v.planned_at, bounds.at) + 1])
                                THEN array_agg(v.planned_at) END,
                           CASE WHEN count(*) < min(per.per_day) OR max(v.planned_at + v.duration_minutes * interval '1 minute')
                                     > min(bounds.at[width_bucket(v.planned_at, bounds.at) + 1])
                                THEN array_agg(v.duration_minutes) END
                    FROM per CROSS JOIN bounds JOIN {table} v ON v.counsellor_id = per.counsellor_id
                    WHERE v.status = ANY(%s) AND v.planned_at >= %s AND v.planned_at < %s AND NOT (v.case_id = ANY(%s))
                    GROUP BY v.counsellor_id, day""",  # noqa: S608 - the name from the model
                [list(per_day), list(per_day.values()), midnights, [str(s) for s in BUSY_STATUSES], midnights[0], midnights[-1],
                 [int(i) for i in exclude_case_ids]],
            )
            rows = cursor.fetchall()
        busy, counted, minute = self.busy, self.counted, dt.timedelta(minutes=1)
        for counsellor_id, bucket, n, starts, lengths in rows:
            day = days[bucket - 1]
            if starts is not None:
                busy[counsellor_id][day].extend((at, at + length * minute) for at, length in zip(starts, lengths, strict=True))
            if n >= per_day[counsellor_id]:
                counted[(counsellor_id, day)] = n

    def book(self, counsellor_id: int, start: dt.datetime, minutes: int) -> None:
        day = timezone.localtime(start, BRUSSELS).date()
        if (counsellor_id, day) in self.counted:  # a full day booked anyway (by a caller, not the slot finder)
            self._read_day(counsellor_id, day)
        self.busy[counsellor_id][day].append((start, start + dt.timedelta(minutes=minutes)))

    def is_free(self, counsellor_id: int, start: dt.datetime, minutes: int) -> bool:
        """The availability rule: no planned or held conversation of the counsellor overlaps the time.

        The day before is looked at too: a conversation late in the evening may run past midnight.
        How many conversations a day the counsellor takes is the slot finder's concern, not this one.
        """
        day = timezone.localtime(start, BRUSSELS).date()
        if (counsellor_id, day) in self.counted:
            self._read_day(counsellor_id, day)
        days = self.busy[counsellor_id]
        end = start + dt.timedelta(minutes=minutes)
        return all(end <= s or start >= e for d in (day - dt.timedelta(days=1), day) for s, e in days.get(d, ()))

    def day_is_full(self, counsellor_id: int, day: dt.date, per_day: int) -> bool:
        counted = self.counted.get((counsellor_id, day))
        return (counted if counted is not None else len(self.busy[counsellor_id][day])) >= per_day

    def next_open_day(self, counsellor_id: int, day: dt.date, per_day: int, until: dt.date) -> dt.date:
        """The first day from ``day`` that is a working day ``per_day`` conversations do not fill
        (``until`` when none is before it). Walked once per start day: booking only fills days, so
        the day found before is where the walk goes on from (decision 117: at a million cases the
        next weeks of a counsellor are full, and every case of theirs in a batch walked them)."""
        key = (counsellor_id, per_day, day)
        found = self.walked.get(key, day)
        while found < until and (not _is_working_day(found) or self.day_is_full(counsellor_id, found, per_day)):
            found += _ONE_DAY
        self.walked[key] = found
        return found

    def _read_day(self, counsellor_id: int, day: dt.date) -> None:
        """A counted day row by row after all, before a time on it is looked at or booked (one
        query). The planner never needs it: it asks each counsellor's days against the limit they
        were counted for and looks for a slot on the other days only."""
        del self.counted[(counsellor_id, day)]
        rows = Conversation.objects.filter(
            counsellor_id=counsellor_id, status__in=BUSY_STATUSES, planned_at__gte=_start_of_day(day),
            planned_at__lt=_start_of_day(day + dt.timedelta(days=1)),
        ).exclude(case_id__in=self.excluded).values_list("planned_at", "duration_minutes")
        self.busy[counsellor_id][day] = [(at, at + dt.timedelta(minutes=minutes)) for at, minutes in rows]


_ONE_DAY = dt.timedelta(days=1)


@lru_cache(maxsize=2048)
def _is_working_day(day: dt.date) -> bool:
    # The slot finder walks the same few months of days for every case: the holiday lookup once a day.
    return legal.is_working_day(day)


def find_slot(
    *, agenda: Agenda, hours: OfficeHours, office_id: int, counsellor_id: int, per_day: int, minutes: int,
    earliest: dt.datetime, first_day: dt.date,
) -> dt.datetime | None:
    """The first free slot on or after ``first_day`` and not before ``earliest``, within
    ``HORIZON_DAYS`` days: on a working day the counsellor's limit does not fill."""
    day = max(first_day, timezone.localtime(earliest, BRUSSELS).date())
    horizon = day + dt.timedelta(days=HORIZON_DAYS)
    while (day := agenda.next_open_day(counsellor_id, day, per_day, horizon)) < horizon:
        for start in hours.slots(office_id, day, minutes):
            if start >= earliest and agenda.is_free(counsellor_id, start, minutes):
                return start
        day += _ONE_DAY
    return None


def _notified_on(case: Case) -> dt.date | None:
    # Kept on the case by the order service (decision 065): no query over the orders.
    return case.first_notified_on


def target_day(*, case: Case, now: dt.datetime, after: dt.datetime | None = None) -> tuple[dt.date, dt.date | None, bool]:
    """(first day to look at, last day the rules allow or None, is_intake) for the case's next conversation."""
    today = timezone.localtime(now, BRUSSELS).date()
    playbook = Playbook.for_case(case)
    # ``after``: the conversation that follows one being logged as held now, so never the intake again.
    if case.held_conversations == 0 and after is None:
        notified = _notified_on(case) or timezone.localtime(case.opened_at, BRUSSELS).date()
        within = playbook.intake_within_working_days
        return today, legal.add_working_days(notified, within), True
    base_at = after or case.last_contact_at or now
    base = timezone.localtime(base_at, BRUSSELS).date()
    gap = playbook.cadence_for(case.state)
    final = playbook.final_week_cadence_days
    deadline = case.departure_deadline
    if deadline is not None and base <= deadline:
        final_week_starts = deadline - dt.timedelta(days=FINAL_WEEK_DAYS)
        if base >= final_week_starts:
            gap = min(gap, final)
        else:
            # Land on the first day of the final week rather than jump over it.
            gap = min(gap, max((final_week_starts - base).days, final))
    day = base + dt.timedelta(days=gap)
    return max(day, today), day, False


@dataclass(frozen=True)
class Slot:
    """A free start with a counsellor at an office, before it becomes a :class:`Proposal`."""

    start: dt.datetime
    office_id: int
    counsellor_id: int
    languages: Sequence[str] = ()  # what the counsellor speaks: an interpreter is needed otherwise


def interpreter_for(person_languages: Iterable[str] | None, spoken: Iterable[str] | None) -> str:
    """The person's first language when the counsellor speaks none of theirs, else ''."""
    languages = list(person_languages or [])
    if not languages:
        return ""
    return "" if set(spoken or ()) & set(languages) else languages[0]


def interpreter_needed(person_languages, counsellor) -> str:
    """:func:`interpreter_for` a counsellor (a user with a staff profile); '' without one."""
    if counsellor is None:
        return ""
    profile = getattr(counsellor, "staff_profile", None)
    return interpreter_for(person_languages, profile.languages if profile else ())


def conversations_per_day(counsellor) -> int:
    """How many conversations a day the slot finder gives a counsellor: their profile's, else 6."""
    profile = getattr(counsellor, "staff_profile", None)
    return profile.conversations_per_day if profile else 6


def counsellor_is_free(*, counsellor_id: int, start: dt.datetime, minutes: int) -> bool:
    """:meth:`Agenda.is_free` for one time chosen by hand (one query over two days of the agenda)."""
    day = timezone.localtime(start, BRUSSELS).date()
    agenda = Agenda.load([counsellor_id], day - dt.timedelta(days=1), day)
    return agenda.is_free(counsellor_id, start, minutes)


class Planner:
    """Proposals for a set of cases against one agenda, loaded once and booked in memory.

    The browser's proposal and the per-case service are a set of one (the case's own
    conversations left out of the agenda); the sweep is a batch with ``overflow``: when the
    office's agenda is full within the horizon, the nearest office of the region that speaks the
    person's language takes the conversation (decision 035; :mod:`counselling.overflow`). The
    caller takes the agenda locks (:func:`lock_agendas`) when it means to write.
    """

    def __init__(
        self, cases: Sequence[Case], *, now: dt.datetime, after: dt.datetime | None = None,
        exclude_case_ids: Iterable[int] = (), overflow: bool = False,
    ):
        self.now, self.after = now, after
        today = timezone.localdate(now)
        # The agenda must cover every day any case of the set may be searched on.
        self.targets = {c.pk: target_day(case=c, now=now, after=after) for c in cases}  # read again by propose()
        last_day = max((first for first, _last, _intake in self.targets.values()), default=today)
        # Each counsellor's days counted against the limit the slot finder asks (decision 117).
        per_day = {c.counsellor_id: conversations_per_day(c.counsellor) for c in cases if c.counsellor_id}
        self.agenda = Agenda()
        self.agenda.add(per_day, today - dt.timedelta(days=1), last_day + dt.timedelta(days=HORIZON_DAYS), exclude_case_ids, per_day)
        self.hours = OfficeHours({c.office_id for c in cases if c.office_id})
        self.overflow = None
        if overflow:
            from counselling.overflow import Overflow

            self.overflow = Overflow(now=now, agenda=self.agenda)

    def propose(self, case: Case) -> Proposal | None:
        """The case's next conversation, booked in this planner's agenda; None when it cannot be
        planned (no counsellor, no office, no consultation hours, no free slot within the horizon)."""
        if case.counsellor_id is None or case.office_id is None or not self.hours.has_hours(case.office_id):
            return None
        playbook = Playbook.for_case(case)
        minutes = playbook.conversation_minutes
        targets = self.targets.get(case.pk) or target_day(case=case, now=self.now, after=self.after)
        first_day, last_day, is_intake = targets
        slot = self._own_office_slot(case, office_id=case.office_id, counsellor_id=case.counsellor_id, minutes=minutes, first_day=first_day)
        if slot is None and self.overflow is not None:
            slot = self.overflow.find_slot(case, minutes=minutes, first_day=first_day)
        if slot is None:
            return None
        self.agenda.book(slot.counsellor_id, slot.start, minutes)
        return Proposal(
            planned_at=slot.start,
            office_id=slot.office_id,
            counsellor_id=slot.counsellor_id,
            mode=Conversation.Mode.HOME_VISIT if playbook.home_visit_preferred else Conversation.Mode.OFFICE,
            interpreter_language=interpreter_for(case.person.languages, slot.languages),
            duration_minutes=minutes,
            is_intake=is_intake,
            late=last_day is not None and timezone.localtime(slot.start, BRUSSELS).date() > last_day,
        )

    def _own_office_slot(self, case: Case, *, office_id: int, counsellor_id: int, minutes: int, first_day: dt.date) -> Slot | None:
        """A slot at the case's own office with its own counsellor (``office_id``, ``counsellor_id``: the case's)."""
        profile = getattr(case.counsellor, "staff_profile", None)
        start = find_slot(
            agenda=self.agenda, hours=self.hours, office_id=office_id, counsellor_id=counsellor_id,
            per_day=conversations_per_day(case.counsellor), minutes=minutes, earliest=self.now + min_lead(), first_day=first_day,
        )
        if start is None:
            return None
        return Slot(start=start, office_id=office_id, counsellor_id=counsellor_id,
                    languages=profile.languages if profile else ())


def propose_next_conversation(*, case: Case, after: dt.datetime | None = None, now: dt.datetime | None = None) -> Proposal | None:
    """When, where and with whom the case's next conversation should be; None if it cannot be planned
    (no counsellor, no office, no consultation hours, or no free slot within the horizon)."""
    if case.counsellor_id is None or case.office_id is None:
        return None
    return Planner([case], now=now or timezone.now(), after=after, exclude_case_ids=[case.pk]).propose(case)


@transaction.atomic
def plan_next_for_case(*, case_id: int, actor: Actor = SYSTEM) -> Conversation | None:
    """Plan the case's next conversation if it needs one (idempotent).

    Does nothing when the case already has a planned conversation or is not counselled. When no
    slot is free, the case records when to try again: the planning sweep comes back for it then,
    or as soon as capacity frees in its region (decision 123).
    """
    from counselling.backoff import defer_planning
    from counselling.services import plan_conversation

    case = next(iter(cases_for_planning(Case.objects.select_for_update(of=("self",)).filter(pk=case_id))), None)
    if case is None or case.state not in COUNSELLED_STATES or case.counsellor_id is None:
        return None
    if Conversation.objects.filter(case=case, status=Conversation.Status.PLANNED).exists():
        return None
    lock_agendas([case.counsellor_id])
    now = timezone.now()
    proposal = propose_next_conversation(case=case, now=now)
    if proposal is None:
        defer_planning([case.pk], now=now)
        return None
    return plan_conversation(
        actor=actor, case_id=case.pk, planned_at=proposal.planned_at, counsellor_id=proposal.counsellor_id,
        office_id=proposal.office_id, mode=proposal.mode, duration_minutes=proposal.duration_minutes,
        interpreter_language=proposal.interpreter_language, is_intake=proposal.is_intake,
    )
