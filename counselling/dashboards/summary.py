"""The case figures from the tally and from the due rows only (decision 065).

The same numbers as ``selectors._case_figures`` + ``_open_breakdown`` + ``_median_days`` (the
live reference, kept for other users' scopes, SQLite and the equivalence test), without a scan
of the case table: the counts that do not depend on the clock come from the tally
(``counselling.dashboards.tally``); those that do come from partial indexes over the few rows
near "now": deadlines from today on, conversations already due, outcomes of the last twelve
months. ``deadline_passed`` is the open cases with a deadline minus those whose deadline is
today or later, so the ever-growing past is never read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from cases.figures import FromRows, FromTally, figures
from cases.models import OPEN_STATES, Case, State
from counselling.models import CaseTally, ConversationTally, OfficeTally

_OPEN = frozenset(OPEN_STATES)
# The tally's key without office and counsellor: what a figure's tally predicate may read.
_KEY = ("state", "target_group", "has_next", "has_deadline", "suspensive", "escalation_proposed", "lose_contact_proposed")
# The states of the outcome figures: the median is of their days from the first order to the outcome.
ENDED = (State.DEPARTED, State.REMOVED, State.LEGAL_STAY_GRANTED, State.CLOSED)


def _plan() -> tuple[list, list, list]:
    """The declared figures by where the summary counts them (``cases.figures``)."""
    tallied, due, outcomes = [], [], []
    for figure in figures():
        if isinstance(figure.summary, FromTally):
            tallied.append(figure)
        elif isinstance(figure.summary, FromRows) and figure.summary.window == "outcomes":
            outcomes.append(figure)
        else:
            due.append(figure)
    return tallied, due, outcomes


def _implies(narrow: Q, wide: Q) -> bool:
    """Every row ``narrow`` matches, ``wide`` matches: both plain ANDs of lookups, and ``narrow``
    has all of ``wide``'s (the deadline within 7 days and "from today on")."""
    def plain(q: Q) -> bool:
        return not q.negated and q.connector == Q.AND and all(isinstance(c, tuple) for c in q.children)

    return plain(narrow) and plain(wide) and all(c in narrow.children for c in wide.children)


def _widest(conditions: list[Q]) -> list[Q]:
    """The conditions that no other one includes: what the rows query must read. A narrower
    condition would only add an index scan over rows already read (one per deadline window)."""
    kept = []
    for n, condition in enumerate(conditions):
        if not any(_implies(condition, other) and (not _implies(other, condition) or m < n)
                   for m, other in enumerate(conditions) if m != n):
            kept.append(condition)
    return kept


def case_figures(*, clock, group: str, office_id: int | None = None) -> dict:
    """{group value: CaseFigures} with by_state / by_target_group of the open cases filled in."""
    from counselling.dashboards.selectors import CaseFigures, DaysBetween, Median

    tallied, due, outcomes = _plan()
    result: dict = defaultdict(CaseFigures)
    scope = {} if office_id is None else {"office_id": office_id}
    # The national page (per office, every office) reads the tally without counsellors.
    source = OfficeTally if group == "office_id" and office_id is None else CaseTally
    tally = (
        source.objects.filter(**scope).values(group, *_KEY)
        .annotate(total=Sum("n")).filter(~Q(total=0)).order_by()
    )
    matching: dict[tuple, list[str]] = {}  # the figures of a key, asked once per key (not per office or counsellor)
    for row in tally:  # 1
        f, n, state = result[row[group]], row["total"], row["state"]
        if state in _OPEN:
            f.by_state[state] = f.by_state.get(state, 0) + n
            f.by_target_group[row["target_group"]] = f.by_target_group.get(row["target_group"], 0) + n
        key = tuple(row[column] for column in _KEY)
        names = matching.get(key)
        if names is None:
            names = matching[key] = [figure.name for figure in tallied if figure.summary.key(row)]
        for name in names:
            f.counts[name] += n

    # The rows near "now" only, each condition served by its partial index (BitmapOr): the
    # figures counted from the rows, and what the tallied ones subtract.
    cases = Case.objects.filter(**scope).order_by()
    parts = {f"n_{figure.name}": figure.condition(clock) for figure in due}
    parts |= {f"minus_{figure.name}": figure.summary.minus(clock) for figure in tallied if figure.summary.minus}
    if parts:
        near = Q()
        for condition in _widest(list(parts.values())):
            near |= condition
        for row in cases.filter(near).values(group).annotate(**{k: Count("id", filter=q) for k, q in parts.items()}):  # 2
            f = result[row[group]]
            for figure in due:
                f.counts[figure.name] = row[f"n_{figure.name}"]
            for figure in tallied:
                if figure.summary.minus:
                    f.counts[figure.name] -= row[f"minus_{figure.name}"]

    # Outcomes of the last twelve months, and the median days from the first notification to
    # the outcome (per office: with the counts nationally, apart for an office's dashboard).
    recent = cases.filter(clock.last_12_months("outcome_at"), outcome_at__isnull=False)
    ended = Q(state__in=list(ENDED), first_notified_on__isnull=False)
    days = DaysBetween(TruncDate("outcome_at"), "first_notified_on")
    counts: dict[str, Aggregate] = {figure.name: Count("id", filter=figure.condition(clock)) for figure in outcomes}
    if group == "office_id":
        counts["median"] = Median(days, filter=ended)
    medians = {}
    national = None
    whole = group == "office_id" and office_id is None  # the national page: the whole country's median too
    if counts:
        rows = _with_grand_total(recent.values(group).annotate(**counts), group) if whole else recent.values(group).annotate(**counts)
        for row in rows:  # 3
            if row.get("grand_total"):
                national = row["median"]
                continue
            for figure in outcomes:
                result[row[group]].counts[figure.name] = row[figure.name]
            if group == "office_id":
                result[row[group]].median_days = medians[row[group]] = row["median"]
    if group != "office_id":
        medians = {office_id: recent.filter(ended).aggregate(median=Median(days))["median"]}  # 4
    if office_id is None and not (whole and counts):
        national = recent.filter(ended).aggregate(median=Median(days))["median"]  # 4
    return {"figures": dict(result), "office_medians": medians, "national_median": national}


def _with_grand_total(grouped: QuerySet, group: str) -> list[dict]:
    """The rows of ``grouped`` (one GROUP BY ``group``) and one more for all rows together, marked
    ``grand_total``, from the same scan (``GROUPING SETS``): the national median needs every
    outcome of the twelve months, which the per-office rows have just read (decision 110)."""
    sql, params = grouped.query.sql_with_params()
    column = f'"{Case._meta.db_table}"."{group}"'
    head, _, by = sql.rpartition(" GROUP BY ")
    if not head.startswith(f"SELECT {column} AS ") or by not in ("1", column):
        raise ValueError(f"unexpected grouped query: {sql[:80]}…")
    sql = f'SELECT GROUPING({column}) = 1 AS "grand_total", {head[len("SELECT "):]} GROUP BY GROUPING SETS (({column}), ())'
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def conversation_rows(*, clock, office_id: int | None = None, per_counsellor: bool = True) -> list[dict]:
    """What ``selectors._conversation_figures(..., "case__office_id")`` returns, from the
    conversation tally: per (office, week, counsellor) held / no-show / planned / cancelled
    (per (office, week) only without ``per_counsellor``: the national page's sums)."""
    scope = {} if office_id is None else {"office_id": office_id}
    group = ("office_id", "week", "counsellor_id") if per_counsellor else ("office_id", "week")
    status = {"held": ["held"], "no_show": ["no_show"], "planned": ["planned"], "cancelled": ["cancelled", "rescheduled"]}
    # Mappings: the annotated counts are not in the row type the stubs infer from ``values()``.
    rows: Iterable[Mapping[str, Any]] = (
        ConversationTally.objects.filter(week__gte=clock.weeks[0], week__lte=clock.weeks[-1], **scope)
        .values(*group)
        .annotate(**{name: Sum("n", filter=Q(status__in=values), default=0) for name, values in status.items()})
        .order_by()
    )
    return [{**row, "case__office_id": row["office_id"]} for row in rows if any(row[name] for name in status)]
