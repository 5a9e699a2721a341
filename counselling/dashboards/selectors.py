"""The dashboards' reads: a fixed number of indexed aggregate queries per page.

Every figure is one conditional ``COUNT(...) FILTER (WHERE ...)`` inside a ``GROUP BY`` (office or
counsellor), so the number of queries never depends on how many cases, offices or counsellors
there are (docs/decisions/ on dashboards). The conditions, and the caseload parameters of the
list behind each figure, are declared once in ``cases.figures`` (decision 085); the tests hold a
figure and its list together.

Everything starts from ``cases_visible_to(user)``: the one gate.
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, Least, TruncDate, TruncWeek
from django.utils import timezone

from cases.figures import OUTCOMES, REGISTRY, WEEKS, Clock, figures
from cases.models import OPEN_STATES, Case, OrderToLeave, Placement, State, TargetGroup
from cases.selectors import cases_visible_to, is_coordinator
from counselling.dashboards import quarters, summary, tally
from counselling.models import Conversation
from offices.models import Membership, Office

OUTCOME_STATES = (State.DEPARTED, State.REMOVED, State.LEGAL_STAY_GRANTED, State.UNTRACEABLE, State.CLOSED)
# Eurostat's "third-country nationals" are everyone but citizens of the EU, the EEA and Switzerland.
EU_EEA_CH = frozenset((
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO", "CH",
))


# --- periods ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def containing(cls, day: dt.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, value: str | None, default: Quarter) -> Quarter:
        try:
            year, number = (value or "").upper().split("-Q")
            quarter = cls(int(year), int(number))
        except ValueError:
            return default
        return quarter if 1 <= quarter.number <= 4 and 2000 <= quarter.year <= 2100 else default

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> dt.date:
        following = self.next()
        return dt.date(following.year, 3 * following.number - 2, 1) - dt.timedelta(days=1)

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"


def recent_quarters(today: dt.date, count: int = 8) -> list[Quarter]:
    quarters = [Quarter.containing(today)]
    while len(quarters) < count:
        quarters.append(quarters[-1].previous())
    return quarters


# --- portable pieces -------------------------------------------------------------------------
class Median(Aggregate):
    """``percentile_cont(0.5)`` on PostgreSQL (an ordered-set aggregate, FILTER allowed)."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()
    allow_distinct = False


class DaysBetween(Func):
    """Whole days from ``start`` (a date) to ``end`` (a date)."""

    arity = 2
    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="CAST(julianday(%(expressions)s) AS INTEGER)",
                           arg_joiner=") - julianday(", **extra)


def _median_days(cases: QuerySet[Case], clock: Clock, group: str | None) -> dict:
    """Median days from the first order's notification to the outcome, per ``group`` value (or
    for all under the key None), for cases whose terminal outcome falls in the last twelve
    months. One query."""
    first_notified = Subquery(
        OrderToLeave.objects.filter(case=OuterRef("pk")).order_by("notified_on", "id").values("notified_on")[:1]
    )
    ended = cases.filter(
        clock.last_12_months("outcome_at"), state__in=(State.DEPARTED, State.REMOVED, State.LEGAL_STAY_GRANTED, State.CLOSED),
    ).annotate(days=DaysBetween(TruncDate("outcome_at"), first_notified)).filter(days__isnull=False)
    if connection.vendor == "postgresql":
        if group is None:
            return {None: ended.order_by().aggregate(median=Median("days"))["median"]}
        return {row[group]: row["median"] for row in ended.order_by().values(group).annotate(median=Median("days"))}
    # Elsewhere (SQLite in development) there is no percentile_cont: the same numbers, computed here.
    days: defaultdict[object, list[int]] = defaultdict(list)
    if group is None:
        for value in ended.order_by().values_list("days", flat=True).iterator(chunk_size=5000):
            days[None].append(value)
    else:
        for key, value in ended.order_by().values_list(group, "days").iterator(chunk_size=5000):
            days[key].append(value)
    return {key: float(statistics.median(values)) for key, values in days.items()}


# --- the case figures ------------------------------------------------------------------------
def case_conditions(clock: Clock) -> dict[str, Q]:
    """{name: condition} of every declared figure (``cases.figures``)."""
    return {figure.name: figure.condition(clock) for figure in figures()}


@dataclass
class CaseFigures:
    """One count per declared figure (``cases.figures``), read and written as attributes
    (``figures.open``), and the figures that are not counts of cases."""

    counts: dict[str, int] = field(default_factory=dict)
    median_days: float | None = None
    by_state: dict[str, int] = field(default_factory=dict)
    by_target_group: dict[str, int] = field(default_factory=dict)
    conversations_this_week: int = 0
    held_12_weeks: int = 0
    no_show_12_weeks: int = 0

    def __post_init__(self) -> None:
        self.counts = {name: self.counts.get(name, 0) for name in REGISTRY}

    def __getattr__(self, name: str):
        # Only called for what is not a field: a figure's count (unpickling asks before counts exists).
        counts = self.__dict__.get("counts")
        if counts is not None and name in REGISTRY:
            return counts.get(name, 0)
        raise AttributeError(name)

    def __setattr__(self, name: str, value) -> None:
        if name in REGISTRY:
            self.counts[name] = value
        else:
            super().__setattr__(name, value)

    @property
    def returned(self) -> int:
        return self.departed + self.removed

    @property
    def outcomes(self) -> int:
        return sum(self.counts[f.name] for f in figures(OUTCOMES))

    @property
    def voluntary_share(self) -> float | None:
        """Share of voluntary departures among all returns (departed + removed)."""
        return self.departed / self.returned if self.returned else None

    @property
    def show_up_rate(self) -> float | None:
        met = self.held_12_weeks + self.no_show_12_weeks
        return self.held_12_weeks / met if met else None

    def add(self, other: CaseFigures) -> None:
        for name, value in other.counts.items():
            self.counts[name] = self.counts.get(name, 0) + value
        for name in ("conversations_this_week", "held_12_weeks", "no_show_12_weeks"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for mine, theirs in ((self.by_state, other.by_state), (self.by_target_group, other.by_target_group)):
            for key, value in theirs.items():
                mine[key] = mine.get(key, 0) + value


def _case_figures(cases: QuerySet[Case], clock: Clock, group: str) -> dict:
    """One GROUP BY ``group`` with a conditional count per figure."""
    conditions = case_conditions(clock)
    rows = cases.order_by().values(group).annotate(**{f"n_{name}": Count("id", filter=q) for name, q in conditions.items()})
    result = {}
    for row in rows:
        result[row[group]] = CaseFigures(counts={name: row[f"n_{name}"] for name in conditions})
    return result


def _open_breakdown(cases: QuerySet[Case], group: str) -> list[dict]:
    """Open cases by (group, state, target group): one GROUP BY."""
    return list(
        cases.filter(state__in=OPEN_STATES).order_by().values(group, "state", "target_group").annotate(n=Count("id"))
    )


@dataclass
class Week:
    monday: dt.date
    held: int = 0
    no_show: int = 0
    planned: int = 0  # still waiting for an outcome (in the future, or overdue)
    cancelled: int = 0  # cancelled or rescheduled

    def add(self, row: Mapping[str, Any]) -> int:
        """Count one row of conversation figures into the week; the conversations it scheduled."""
        self.held += row["held"]
        self.no_show += row["no_show"]
        self.planned += row["planned"]
        self.cancelled += row["cancelled"]
        return row["held"] + row["no_show"] + row["planned"]

    @property
    def scheduled(self) -> int:
        return self.held + self.no_show + self.planned

    @property
    def show_up_rate(self) -> float | None:
        met = self.held + self.no_show
        return self.held / met if met else None

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)


def _of_cases(queryset: QuerySet, cases: QuerySet[Case], lookup: str = "case") -> QuerySet:
    """Rows of ``queryset`` belonging to the (already scoped) ``cases``. When the scope is every
    case (a coordinator), no semi-join against the whole case table is needed."""
    if not cases.query.where:
        return queryset
    return queryset.filter(**{f"{lookup}__in": cases.order_by().values("pk")})


def conversations_of(cases: QuerySet[Case]) -> QuerySet[Conversation]:
    """The conversations of the given (already scoped) cases."""
    return _of_cases(Conversation.objects.all(), cases)


def _conversation_figures(conversations: QuerySet[Conversation], clock: Clock, group: str) -> list[dict]:
    """Per (group, week, counsellor): held / no-show / planned / cancelled over the last 12 weeks."""
    start = clock.midnight(clock.weeks[0])
    end = clock.midnight(clock.weeks[-1] + dt.timedelta(days=7))
    status = Conversation.Status
    return list(
        conversations.filter(planned_at__gte=start, planned_at__lt=end)
        .annotate(week=TruncWeek("planned_at"))
        .order_by()
        .values(group, "week", "counsellor_id")
        .annotate(
            held=Count("id", filter=Q(status=status.HELD)),
            no_show=Count("id", filter=Q(status=status.NO_SHOW)),
            planned=Count("id", filter=Q(status=status.PLANNED)),
            cancelled=Count("id", filter=Q(status__in=[status.CANCELLED, status.RESCHEDULED])),
        )
    )


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


# --- who may see which dashboard -------------------------------------------------------------
def dashboard_offices(user) -> list[Office]:
    """Counselling offices whose dashboard the user may open: the ones they manage, or every
    one for a national coordinator."""
    offices = Office.objects.filter(kind__in=Office.COUNSELLING_KINDS, is_active=True).order_by("name")
    if is_coordinator(user):
        return list(offices)
    if not user.is_authenticated:
        return []
    return list(
        offices.filter(
            Exists(Membership.objects.filter(office=OuterRef("pk"), user=user, role=Membership.Role.MANAGER, is_active=True))
        )
    )


# --- the office dashboard --------------------------------------------------------------------
# The figures of a counsellor's row on the office page (``CounsellorRow``).
COUNSELLOR_FIGURES = ("open", "overdue_outcome")


@dataclass
class CounsellorRow:
    user_id: int | None
    name: str
    open: int = 0
    conversations_this_week: int = 0
    overdue_outcome: int = 0


@dataclass
class OfficeDashboard:
    office: Office
    clock: Clock
    totals: CaseFigures
    counsellors: list[CounsellorRow]
    weeks: list[Week]


def _from_summary(user, live: bool) -> bool:
    """Every case of the scope (the service itself) on PostgreSQL: the tally and the due rows
    (counselling.dashboards.summary) give the same figures without scanning the cases. A user's
    own scope, SQLite, or ``live=True`` (the reference the tests compare with) compute live."""
    return user is None and not live and tally.available()


def office_dashboard(*, user, office: Office, clock: Clock | None = None, live: bool = False) -> OfficeDashboard:
    """Six queries live, whatever the size of the office; from the summary, cost independent of it.

    ``user=None`` is the service itself (the cache-warming task): every case of the office.
    """
    clock = clock or Clock.start()
    if _from_summary(user, live):
        return office_dashboards(offices=[office], clock=clock)[office.pk]
    cases = (Case.objects.all() if user is None else cases_visible_to(user)).filter(office=office)
    totals = CaseFigures()
    per_counsellor = _case_figures(cases, clock, "counsellor_id")  # 1
    for counsellor_figures in per_counsellor.values():
        totals.add(counsellor_figures)
    for row in _open_breakdown(cases, "office_id"):  # 2
        totals.by_state[row["state"]] = totals.by_state.get(row["state"], 0) + row["n"]
        totals.by_target_group[row["target_group"]] = totals.by_target_group.get(row["target_group"], 0) + row["n"]
    totals.median_days = _median_days(cases, clock, "office_id").get(office.pk)  # 3
    conversation_rows = _conversation_figures(conversations_of(cases), clock, "case__office_id")  # 4
    weeks, conversations_this_week = _weeks(clock, conversation_rows, totals)
    ids = {key for key in per_counsellor if key is not None} | set(conversations_this_week)
    people = _people({office.pk: ids}, [office.pk])[office.pk]  # 5, 6
    return _office_page(office, clock, totals, per_counsellor, weeks, conversations_this_week, people)


def office_dashboards(*, offices: list[Office], clock: Clock | None = None) -> dict[int, OfficeDashboard]:
    """{office id: its dashboard} for the service itself (every case), from the summary: the same
    figures as one ``office_dashboard`` per office, in six queries for all of them (decision 114;
    the warm cycle's 36 pages were six queries each). Live per office where there is no tally."""
    clock = clock or Clock.start()
    if not tally.available():
        return {office.pk: office_dashboard(user=None, office=office, clock=clock) for office in offices}
    ids = [office.pk for office in offices]
    figures = summary.office_figures(clock=clock, office_ids=ids, per_counsellor=COUNSELLOR_FIGURES)  # 1-4
    conversations = summary.office_conversation_rows(clock=clock, office_ids=ids)  # 5
    pages = {}
    wanted: dict[int, set] = {}
    for office in offices:
        found = figures[office.pk]
        per_counsellor = dict(found["counsellors"])
        totals = found["totals"]
        totals.median_days = found["median"]
        weeks, conversations_this_week = _weeks(clock, conversations[office.pk], totals)
        wanted[office.pk] = {key for key in per_counsellor if key is not None} | set(conversations_this_week)
        pages[office.pk] = (totals, per_counsellor, weeks, conversations_this_week)
    people = _people(wanted, ids)  # 6, 7
    return {office.pk: _office_page(office, clock, *pages[office.pk], people[office.pk]) for office in offices}


def _weeks(clock: Clock, conversation_rows: Iterable[Mapping[str, Any]], totals: CaseFigures) -> tuple[dict, dict[int, int]]:
    """The twelve weeks of an office's conversations, and its counsellors' conversations this week;
    the totals' conversation figures filled in."""
    weeks = {monday: Week(monday) for monday in clock.weeks}
    this_week = clock.weeks[-1]
    conversations_this_week: dict[int, int] = defaultdict(int)
    for row in conversation_rows:
        week = weeks.get(_as_date(row["week"]))
        if week is None:
            continue
        scheduled = week.add(row)
        if week.monday == this_week:
            conversations_this_week[row["counsellor_id"]] += scheduled
    totals.held_12_weeks = sum(w.held for w in weeks.values())
    totals.no_show_12_weeks = sum(w.no_show for w in weeks.values())
    totals.conversations_this_week = sum(conversations_this_week.values())
    return weeks, conversations_this_week


def _people(wanted: dict[int, set], office_ids: list[int]) -> dict[int, list]:
    """{office id: the office's counsellors, with or without cases, and anyone else in ``wanted``
    (holding its cases or its conversations this week)}, by name: two queries for every office."""
    from django.contrib.auth import get_user_model

    members: dict[int, set] = defaultdict(set)
    for office_id, user_id in Membership.objects.filter(
        office_id__in=office_ids, is_active=True, role=Membership.Role.COUNSELLOR
    ).values_list("office_id", "user_id"):  # 5
        members[office_id].add(user_id)
    everyone = set().union(*wanted.values(), *members.values())
    people = list(get_user_model().objects.filter(pk__in=everyone).order_by("last_name", "first_name", "username"))  # 6
    by_pk = {person.pk: (n, person) for n, person in enumerate(people)}
    return {office_id: [person for _n, person in sorted(by_pk[pk] for pk in wanted.get(office_id, set()) | members[office_id]
                                                        if pk in by_pk)]
            for office_id in office_ids}


def _office_page(office: Office, clock: Clock, totals: CaseFigures, per_counsellor: dict, weeks: dict,
                 conversations_this_week: dict[int, int], people: list) -> OfficeDashboard:
    rows = []
    for person in people:
        figures = per_counsellor.get(person.pk, CaseFigures())
        rows.append(
            CounsellorRow(
                user_id=person.pk, name=person.get_full_name() or person.username, open=figures.open,
                conversations_this_week=conversations_this_week.get(person.pk, 0), overdue_outcome=figures.overdue_outcome,
            )
        )
    unassigned = per_counsellor.get(None)
    if unassigned and (unassigned.open or unassigned.overdue_outcome):
        rows.append(CounsellorRow(user_id=None, name="", open=unassigned.open, overdue_outcome=unassigned.overdue_outcome))
    return OfficeDashboard(office=office, clock=clock, totals=totals, counsellors=rows, weeks=list(weeks.values()))


# --- the national dashboard ------------------------------------------------------------------
@dataclass
class FacilityRow:
    facility: Office
    occupied: list[int]  # one per week in Clock.weeks order, the last one today

    @property
    def today(self) -> int:
        return self.occupied[-1]

    @property
    def capacity(self) -> int:
        return self.facility.capacity or 0

    @property
    def rate(self) -> float | None:
        return self.today / self.capacity if self.capacity else None


@dataclass
class CitizenshipRow:
    code: str
    ordered: int = 0  # persons with an order notified in the period (migr_eiord)
    voluntary: int = 0  # departed in the period (migr_eirtn, voluntary)
    enforced: int = 0  # removed in the period (migr_eirtn, enforced)

    @property
    def returned(self) -> int:
        return self.voluntary + self.enforced


@dataclass
class RepeatOrders:
    people_with_orders: int
    people_with_repeat: int
    orders_in_period: int
    repeat_orders_in_period: int


@dataclass
class NationalDashboard:
    clock: Clock
    quarter: Quarter
    offices: list[tuple[Office, CaseFigures]]
    totals: CaseFigures
    weeks: list[Week]
    facilities: list[FacilityRow]
    snapshot_days: list[dt.date]
    citizenships: list[CitizenshipRow]
    non_tcn_ordered: int
    non_tcn_returned: int
    repeat: RepeatOrders


def occupancy_days(clock: Clock) -> list[dt.date]:
    """The days occupancy is measured on: today and the same weekday in each of the 11 weeks before."""
    return [clock.today - dt.timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]


def occupied_on(day: dt.date) -> Q:
    """A place is taken on a day from its first day until (not including) its last."""
    return Q(started_on__lte=day) & (Q(ended_on__isnull=True) | Q(ended_on__gt=day))


def occupied_on_days(days: list[dt.date]) -> dict[int, list[int]]:
    """{facility id: the places taken on each of ``days``, as ``occupied_on`` counts them}, for days a
    week apart (``occupancy_days``). One GROUP BY of the placements that overlap the days, per
    facility and the first and last of the days each one covers: from the first day on or after its
    start to the last day before its end (decision 121: twelve conditional counts per placement
    were twice the time at 1M)."""
    first, last = days[0], len(days) - 1
    if any(later - earlier != dt.timedelta(weeks=1) for earlier, later in itertools.pairwise(days)):
        raise ValueError("occupancy is counted on days a week apart")
    covers = (
        Placement.objects.filter(started_on__lte=days[-1])
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=first))
        .order_by()
        .values_list(
            "facility_id",
            Greatest(Value(0), (DaysBetween("started_on", Value(first)) + 6) / 7),  # the first day on or after the start
            Least(Value(last), Coalesce((DaysBetween("ended_on", Value(first)) - 1) / 7, Value(last))),  # the last before the end
        )
        .annotate(n=Count("*"))
    )
    found: dict[int, list[int]] = {}
    for facility_id, since, until, n in covers:
        counts = found.setdefault(facility_id, [0] * len(days))
        for k in range(since, until + 1):
            counts[k] += n
    return found


def national_dashboard(*, user, quarter: Quarter | None = None, clock: Clock | None = None, live: bool = False) -> NationalDashboard:
    """Twelve queries, whatever the number of cases, offices or facilities."""
    clock = clock or Clock.start()
    quarter = quarter or Quarter.containing(clock.today)
    cases = Case.objects.all() if user is None else cases_visible_to(user)

    # Inactive offices too: their remaining cases still count nationally (shown only when they have any).
    offices = list(Office.objects.filter(kind__in=Office.COUNSELLING_KINDS).order_by("name"))  # 1
    if _from_summary(user, live):
        found = summary.case_figures(clock=clock, group="office_id")
        per_office = found["figures"]
        national_median = {None: found["national_median"]}
    else:
        per_office = _case_figures(cases, clock, "office_id")  # 2
        for row in _open_breakdown(cases, "office_id"):  # 3
            figures = per_office.setdefault(row["office_id"], CaseFigures())
            figures.by_state[row["state"]] = figures.by_state.get(row["state"], 0) + row["n"]
            figures.by_target_group[row["target_group"]] = figures.by_target_group.get(row["target_group"], 0) + row["n"]
        for office_id, median in _median_days(cases, clock, "office_id").items():  # 4
            per_office.setdefault(office_id, CaseFigures()).median_days = median
        national_median = _median_days(cases, clock, None)  # 5

    weeks = {monday: Week(monday) for monday in clock.weeks}
    if _from_summary(user, live):
        conversation_rows = summary.conversation_rows(clock=clock, per_counsellor=False)  # the page sums them per office
    else:
        conversation_rows = _conversation_figures(conversations_of(cases), clock, "case__office_id")  # 6
    this_week = clock.weeks[-1]
    for row in conversation_rows:
        week = weeks.get(_as_date(row["week"]))
        office_id = row["case__office_id"]
        if office_id not in per_office:
            per_office[office_id] = CaseFigures()
        figures = per_office[office_id]
        figures.held_12_weeks += row["held"]
        figures.no_show_12_weeks += row["no_show"]
        if week is None:
            continue
        scheduled = week.add(row)
        if week.monday == this_week:
            figures.conversations_this_week += scheduled

    known = {office.pk for office in offices}
    rows = [
        (office, per_office.get(office.pk, CaseFigures())) for office in offices if office.is_active or office.pk in per_office
    ]
    # Cases without an office still count nationally: their own row (an unsaved Office, pk None).
    rows += [(Office(name=""), per_office[key]) for key in per_office if key not in known]
    totals = CaseFigures()
    for _office, figures in rows:
        totals.add(figures)
    totals.median_days = next(iter(national_median.values()), None)

    days = occupancy_days(clock)
    facilities = list(Office.objects.filter(kind__in=Office.FACILITY_KINDS, is_active=True).order_by("kind", "name"))  # 7
    occupancy = occupied_on_days(days)  # 8
    facility_rows = [FacilityRow(facility=f, occupied=occupancy.get(f.pk, [0] * len(days))) for f in facilities]

    if _from_summary(user, live):
        found = quarters.read(quarter.first_day)  # 9
        citizenships, non_tcn_ordered, non_tcn_returned = _citizenship_rows(found["ordered"], found["returned"])
        repeat = RepeatOrders(**{name: found[name] for name in (
            "people_with_orders", "people_with_repeat", "orders_in_period", "repeat_orders_in_period")})
    else:
        citizenships, non_tcn_ordered, non_tcn_returned = _citizenship_rows(
            eurostat_ordered(cases, quarter), eurostat_returned(cases, quarter))  # 9, 10
        repeat = _repeat_orders(cases, quarter)  # 11, 12
    return NationalDashboard(
        clock=clock, quarter=quarter, offices=rows, totals=totals, weeks=list(weeks.values()), facilities=facility_rows,
        snapshot_days=days, citizenships=citizenships, non_tcn_ordered=non_tcn_ordered, non_tcn_returned=non_tcn_returned,
        repeat=repeat,
    )


def eurostat_ordered(cases: QuerySet[Case], quarter: Quarter) -> QuerySet:
    """migr_eiord: persons with an order to leave notified in the period, by citizenship."""
    return (
        _of_cases(OrderToLeave.objects.all(), cases)
        .filter(notified_on__gte=quarter.first_day, notified_on__lte=quarter.last_day)
        .order_by()
        .values(code=F("case__person__nationality"))
        .annotate(persons=Count("case__person_id", distinct=True))
    )


def eurostat_returned(cases: QuerySet[Case], quarter: Quarter) -> QuerySet:
    """migr_eirtn: returns following an order in the period, by citizenship, voluntary or enforced."""
    first, last = quarter.first_day, quarter.last_day
    voluntary = Q(state=State.DEPARTED, departed_on__gte=first, departed_on__lte=last)
    enforced = Q(state=State.REMOVED, removed_on__gte=first, removed_on__lte=last)
    return (
        cases.filter(voluntary | enforced)
        .order_by()
        .values(code=F("person__nationality"))
        .annotate(voluntary=Count("id", filter=voluntary), enforced=Count("id", filter=enforced))
    )


def _citizenship_rows(
    ordered: Iterable[Mapping[str, Any]], returned: Iterable[Mapping[str, Any]]
) -> tuple[list[CitizenshipRow], int, int]:
    """The Eurostat rows from the counts per citizenship (live, or from the quarter tally)."""
    rows: dict[str, CitizenshipRow] = {}
    non_tcn_ordered = non_tcn_returned = 0
    for row in ordered:
        if row["code"] in EU_EEA_CH:
            non_tcn_ordered += row["persons"]
            continue
        rows.setdefault(row["code"], CitizenshipRow(row["code"])).ordered += row["persons"]
    for row in returned:
        if row["code"] in EU_EEA_CH:
            non_tcn_returned += row["voluntary"] + row["enforced"]
            continue
        target = rows.setdefault(row["code"], CitizenshipRow(row["code"]))
        target.voluntary += row["voluntary"]
        target.enforced += row["enforced"]
    return sorted(rows.values(), key=lambda r: (-r.ordered, -r.returned, r.code)), non_tcn_ordered, non_tcn_returned


def _repeat_orders(cases: QuerySet[Case], quarter: Quarter) -> RepeatOrders:
    orders = _of_cases(OrderToLeave.objects.all(), cases)
    earlier = OrderToLeave.objects.filter(case__person_id=OuterRef("case__person_id")).filter(
        Q(notified_on__lt=OuterRef("notified_on")) | Q(notified_on=OuterRef("notified_on"), pk__lt=OuterRef("pk"))
    )
    in_period = Q(notified_on__gte=quarter.first_day, notified_on__lte=quarter.last_day)
    per_person = orders.order_by().values("case__person_id").annotate(n=Count("id"))
    people = per_person.aggregate(
        people=Count("case__person_id"),
        repeat=Count("case__person_id", filter=Q(n__gt=1)),
    )
    period = orders.aggregate(
        orders=Count("id", filter=in_period), repeat=Count("id", filter=in_period & Q(Exists(earlier)))
    )
    return RepeatOrders(
        people_with_orders=people["people"], people_with_repeat=people["repeat"],
        orders_in_period=period["orders"], repeat_orders_in_period=period["repeat"],
    )


def target_group_label(value: str) -> str:
    return str(TargetGroup(value).label) if value in TargetGroup.values else value
