"""When an office's agenda is full: the nearest office of the same region that speaks the
person's language takes the conversation (issue 13, item 7; decision 035).

The case stays with its office and counsellor; the conversation is planned with a counsellor
of the other office, at that office. What no office of the region can hold within the horizon
stays unplanned and is counted (:func:`unplannable_by_office`) on the office dashboard and the
operations view, next to each office's earliest free slot (:func:`earliest_free_slot`); the
planner tries it again after a back-off or when capacity frees in the region (decision 123).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import connection
from django.db.models import Count
from django.utils import timezone

from counselling.scheduling import (
    BRUSSELS,
    BUSY_STATUSES,
    HORIZON_DAYS,
    Agenda,
    OfficeHours,
    Slot,
    _start_of_day,
    find_slot,
    lock_agendas,
    min_lead,
)
from offices.models import Membership, Office
from offices.regions import distance_km, provinces_of_region, region_of


def _counsellors_by_office(office_ids) -> dict[int, list[tuple[int, int, list[str]]]]:
    """office id → [(counsellor id, conversations per day, languages)] of its active counsellors."""
    found: dict[int, list[tuple[int, int, list[str]]]] = defaultdict(list)
    rows = Membership.objects.filter(
        office_id__in=set(office_ids), role=Membership.Role.COUNSELLOR, user__is_active=True
    ).values_list("office_id", "user_id", "user__staff_profile__conversations_per_day", "user__staff_profile__languages")
    for office_id, user_id, per_day, languages in rows.order_by("office_id", "user_id"):
        found[office_id].append((user_id, 6 if per_day is None else per_day, languages or []))
    return found


class Overflow:
    """Other offices' counsellors for one planning batch, loaded once per region into the batch's
    own agenda (:class:`counselling.scheduling.Planner`), so a counsellor is booked in one place."""

    def __init__(self, *, now: dt.datetime, agenda: Agenda):
        self.now = now
        self._offices: dict[str, list[Office]] = {}
        self._counsellors: dict[int, list[tuple[int, int, list[str]]]] = {}
        self._hours: OfficeHours | None = None
        self._agenda = agenda
        self.offered = 0
        # office → (minutes, first day) for which none of its counsellors had a slot. The batch's
        # agenda only gains bookings, so a search from the same day for as long or longer finds
        # nothing there either and is skipped (at 1M a backlog of stuck cases searched every other
        # office's whole team once per case: 1.4 ms a case, 28 s a sweep for 19.5k).
        self._full: dict[int, list[tuple[int, dt.date]]] = defaultdict(list)

    def _load_region(self, region: str) -> list[Office]:
        if region not in self._offices:
            offices = list(Office.objects.filter(
                province__in=provinces_of_region(region), kind__in=Office.COUNSELLING_KINDS, is_active=True
            ))
            self._offices[region] = offices
            counsellors = _counsellors_by_office([o.pk for o in offices])
            self._counsellors.update(counsellors)
            ids = sorted({c for rows in counsellors.values() for c, _p, _l in rows})
            # Locks in id order; the batch already holds its own counsellors' (same order, no deadlock with a twin sweep).
            lock_agendas(ids)
            today = timezone.localdate(self.now)
            # The batch's own counsellors are loaded already (and booked by this batch): only the others.
            self._agenda.add(ids, today - dt.timedelta(days=1), today + dt.timedelta(days=2 * HORIZON_DAYS))
            all_ids = [o.pk for rows in self._offices.values() for o in rows]
            self._hours = OfficeHours(all_ids)
        return self._offices[region]

    def candidates(self, case) -> list[Office]:
        """Offices of the case's region, nearest first, that speak one of the person's languages."""
        home = case.office
        languages = set(case.person.languages or [])
        found = []
        offices = self._load_region(region_of(home.province))
        hours = self._hours
        assert hours is not None  # set by _load_region
        for office in offices:
            if office.pk == home.pk or not hours.has_hours(office.pk):
                continue
            spoken = set(office.languages or []) | {
                language for _c, _p, langs in self._counsellors.get(office.pk, []) for language in langs
            }
            if languages and not languages & spoken:
                continue
            found.append(office)
        return sorted(found, key=lambda office: (distance_km(home, office), office.pk))

    def find_slot(self, case, *, minutes: int, first_day: dt.date) -> Slot | None:
        """The earliest slot at the nearest office that has one (the planner books it)."""
        languages = set(case.person.languages or [])
        candidates = self.candidates(case)
        hours = self._hours
        assert hours is not None  # set by _load_region, through candidates()
        for office in candidates:
            if any(day == first_day and length <= minutes for length, day in self._full.get(office.pk, ())):
                continue
            best = None
            for counsellor_id, per_day, spoken in self._counsellors.get(office.pk, []):
                start = find_slot(
                    agenda=self._agenda, hours=hours, office_id=office.pk, counsellor_id=counsellor_id,
                    per_day=per_day, minutes=minutes, earliest=self.now + min_lead(), first_day=first_day,
                )
                # A counsellor who speaks the person's language first, then the earliest slot.
                rank = (not (languages & set(spoken)), start)
                if start is not None and (best is None or rank < best[0]):
                    best = (rank, Slot(start=start, office_id=office.pk, counsellor_id=counsellor_id, languages=spoken))
            if best is None:
                self._full[office.pk].append((minutes, first_day))
                continue
            self.offered += 1
            return best[1]
        return None


# --- what remains unplannable -------------------------------------------------------------
def unplannable_by_office(office_ids=None) -> dict[int, int]:
    """Open counselled cases with a counsellor and no planned conversation, per office — those
    waiting for their next planning attempt included (decision 123)."""
    from counselling.sweeps import cases_needing_conversation

    cases = cases_needing_conversation()
    if office_ids is not None:
        cases = cases.filter(office_id__in=list(office_ids))
    return dict(cases.values_list("office_id").annotate(n=Count("id")).values_list("office_id", "n"))


def earliest_free_slot(office: Office, *, now: dt.datetime | None = None, minutes: int = 60) -> dt.datetime | None:
    """The first slot any counsellor of the office has free within the horizon."""
    return earliest_free_slots([office], now=now, minutes=minutes)[office.pk]


class _NotLoaded(Exception):
    """``find_slot`` looked at a day whose conversations are not loaded yet."""

    def __init__(self, counsellor_id: int, day: dt.date):
        super().__init__(counsellor_id, day)
        self.counsellor_id, self.day = counsellor_id, day


class _DayCounts(Agenda):
    """An agenda that knows every day's number of conversations (one GROUP BY) and loads the
    conversations of a day only when ``find_slot`` asks whether a time on it is free: a full day
    is read from the counts, an empty one needs nothing, and a day not loaded yet stops the search
    (:class:`_NotLoaded`) until :meth:`load_days` has read it. ``earliest_free_slots`` runs the
    searches in rounds, loading every day they stopped at in one query per round, so only the days
    up to each counsellor's first free slot are read (decision 114; decision 110 loaded every day
    a slot could be on: ~590k conversations at 1M cases). ``find_slot`` finds what it finds in the
    fully loaded agenda (tested against it)."""

    AHEAD = 1  # days not full loaded past the one asked for, in the same round

    def __init__(self, counsellors: dict[int, int], first_day: dt.date, last_day: dt.date):
        super().__init__()
        self.counts: dict[tuple[int, dt.date], int] = {}
        self.per_day = counsellors
        self.days_loaded: set[tuple[int, dt.date]] = set()
        self.last_day = last_day
        if not counsellors:
            return
        # One index range per counsellor, index-only (conversation_agenda): the planner's choice
        # for ``counsellor_id IN (...)`` read every row of the horizon from the table (3x slower).
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT v.counsellor_id, (v.planned_at AT TIME ZONE '{BRUSSELS.key}')::date, count(*)
                    FROM unnest(%s::bigint[]) AS w(id)
                    JOIN counselling_conversation v ON v.counsellor_id = w.id AND v.planned_at >= %s AND v.planned_at < %s
                    WHERE v.status = ANY(%s) GROUP BY 1, 2""",  # noqa: S608 (a constant zone)
                [list(counsellors), _start_of_day(first_day), _start_of_day(last_day + dt.timedelta(days=1)),
                 [str(s) for s in BUSY_STATUSES]],
            )
            for counsellor_id, local_day, n in cursor.fetchall():
                self.counts[(counsellor_id, local_day)] = n

    def is_free(self, counsellor_id: int, start: dt.datetime, minutes: int) -> bool:
        day = timezone.localtime(start, BRUSSELS).date()
        for wanted in (day - dt.timedelta(days=1), day):  # a late conversation may run past midnight
            if (counsellor_id, wanted) in self.counts and (counsellor_id, wanted) not in self.days_loaded:
                raise _NotLoaded(counsellor_id, day)
        return super().is_free(counsellor_id, start, minutes)

    def day_is_full(self, counsellor_id: int, day: dt.date, per_day: int) -> bool:
        return self.counts.get((counsellor_id, day), 0) >= per_day

    def wanted(self, counsellor_id: int, day: dt.date) -> set[tuple[int, dt.date]]:
        """The days to load for a search stopped at ``day``: it and the day before, and the same
        for the next few days a slot may be on (not full), so most searches end in one round."""
        found: set[tuple[int, dt.date]] = set()
        ahead, limit = 0, self.per_day.get(counsellor_id, 0)
        while ahead <= self.AHEAD and day <= self.last_day:
            if self.counts.get((counsellor_id, day), 0) < limit:
                found |= {(counsellor_id, day - dt.timedelta(days=1)), (counsellor_id, day)}
                ahead += 1
            day += dt.timedelta(days=1)
        return {key for key in found if key in self.counts and key not in self.days_loaded}

    def load_days(self, days: set[tuple[int, dt.date]]) -> None:
        """Book the conversations of these (counsellor, day)s: one query, one index range per run
        of consecutive days of a counsellor."""
        days = {key for key in days if key not in self.days_loaded}
        if not days:
            return
        self.days_loaded |= days
        counsellors: list[int] = []
        starts: list[dt.datetime] = []
        ends: list[dt.datetime] = []
        for counsellor_id, day in sorted(days):
            start, end = _start_of_day(day), _start_of_day(day + dt.timedelta(days=1))
            if counsellors and counsellors[-1] == counsellor_id and ends[-1] == start:
                ends[-1] = end
            else:
                counsellors.append(counsellor_id)
                starts.append(start)
                ends.append(end)
        with connection.cursor() as cursor:
            cursor.execute(
                """SELECT v.counsellor_id, v.planned_at, v.duration_minutes FROM counselling_conversation v
                   JOIN unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[]) AS w(counsellor_id, starts, ends)
                     ON v.counsellor_id = w.counsellor_id AND v.planned_at >= w.starts AND v.planned_at < w.ends
                   WHERE v.status = ANY(%s)""",
                [counsellors, starts, ends, [str(s) for s in BUSY_STATUSES]],
            )
            busy, minute = self.busy, dt.timedelta(minutes=1)
            for counsellor_id, planned_at, length in cursor.fetchall():  # booked as ``Agenda.add`` does
                busy[counsellor_id][planned_at.astimezone(BRUSSELS).date()].append((planned_at, planned_at + length * minute))


def earliest_free_slots(offices, *, now: dt.datetime | None = None, minutes: int = 60) -> dict[int, dt.datetime | None]:
    """office id → the first slot any counsellor of the office has free within the horizon, for
    all the offices at once (three queries, whatever their number)."""
    now = now or timezone.now()
    offices = list(offices)
    counsellors = _counsellors_by_office([o.pk for o in offices])
    today = timezone.localdate(now)
    # A counsellor's conversations a day (their own figure, whichever office): the most, to load
    # every day that could be free.
    per_day: dict[int, int] = {}
    for rows in counsellors.values():
        for counsellor_id, limit, _l in rows:
            per_day[counsellor_id] = max(limit, per_day.get(counsellor_id, limit))
    first_day, last_day = today - dt.timedelta(days=1), today + dt.timedelta(days=HORIZON_DAYS + 1)
    # On PostgreSQL the days as counts, their rows loaded as the searches reach them (_DayCounts);
    # elsewhere (SQLite, the demo) every conversation of the horizon as rows, as the planner reads them.
    agenda = _DayCounts(per_day, first_day, last_day) if connection.vendor == "postgresql" else Agenda.load(per_day, first_day, last_day)
    hours = OfficeHours([o.pk for o in offices])
    # Every counsellor's search, in rounds: a search that reaches a day not loaded waits for the
    # next round, which loads all such days in one query.
    searches = [(office.pk, counsellor_id, limit) for office in offices for counsellor_id, limit, _l in counsellors.get(office.pk, [])]
    starts: dict[int, list[dt.datetime]] = defaultdict(list)
    while searches:
        waiting, wanted = [], set()
        for office_id, counsellor_id, limit in searches:
            try:
                start = find_slot(agenda=agenda, hours=hours, office_id=office_id, counsellor_id=counsellor_id,
                                  per_day=limit, minutes=minutes, earliest=now + min_lead(), first_day=today)
            except _NotLoaded as stopped:
                assert isinstance(agenda, _DayCounts)  # the only agenda that stops a search
                waiting.append((office_id, counsellor_id, limit))
                wanted |= agenda.wanted(stopped.counsellor_id, stopped.day)
                continue
            if start is not None:
                starts[office_id].append(start)
        if isinstance(agenda, _DayCounts):
            agenda.load_days(wanted)
        searches = waiting
    return {office.pk: min(starts[office.pk], default=None) for office in offices}


def planning_capacity(offices) -> list[tuple[Office, int, dt.datetime | None]]:
    """(office, unplannable cases, earliest free slot) for each office, for the operations view
    and the dashboards' warm cycle: four queries for all of them."""
    offices = list(offices)
    counts = unplannable_by_office([o.pk for o in offices])
    slots = earliest_free_slots(offices)
    return [(office, counts.get(office.pk, 0), slots[office.pk]) for office in offices]
