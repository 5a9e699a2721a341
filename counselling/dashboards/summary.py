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
from django.db.models import Aggregate, Count, Q, QuerySet, Sum, Value
from django.db.models.functions import TruncDate

from cases.figures import FromRows, FromTally, figures
from cases.models import OPEN_STATES, Case, State
from counselling.dashboards import outcomes as outcome_tally
from counselling.models import CaseTally, ConversationTally, OfficeConversationTally, OfficeTally

_OPEN = frozenset(OPEN_STATES)
# The tally's key without office and counsellor: what a figure's tally predicate may read.
_KEY = ("state", "target_group", "has_next", "has_deadline", "suspensive", "escalation_proposed", "lose_contact_proposed")
# The states of the outcome figures: the median is of their days from the first order to the outcome.
ENDED = tuple(State(state) for state in outcome_tally.ENDED)


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


def _count(f, key: tuple, n: int, tallied: list, matching: dict[tuple, list[str]]) -> None:
    """Count ``n`` cases of one tally key (``_KEY``'s values) into ``f``."""
    state = key[0]
    if state in _OPEN:
        f.by_state[state] = f.by_state.get(state, 0) + n
        f.by_target_group[key[1]] = f.by_target_group.get(key[1], 0) + n
    names = matching.get(key)
    if names is None:
        row = dict(zip(_KEY, key, strict=True))
        names = matching[key] = [figure.name for figure in tallied if figure.summary.key(row)]
    for name in names:
        f.counts[name] += n


def _near_rows(cases: QuerySet[Case], group: tuple[str, ...], parts: dict[str, Q]) -> list[dict]:
    """Per ``group`` value, the number of cases matching each of ``parts``: one query per widest
    condition (``_widest``), each counting the parts it includes, served by that condition's
    partial index (decision 114: one query over their OR read every row from the table; a part
    that is the condition itself is a plain count, index-only where the index holds the group's
    columns — the untraceable cases of the twelve months, 8 % of all cases)."""
    widest = _widest(list(parts.values()))
    mine: dict[int, dict[str, Q]] = defaultdict(dict)
    for name, condition in parts.items():
        n = next(n for n, wide in enumerate(widest) if wide is condition or _implies(condition, wide))
        mine[n][name] = condition
    rows: dict[tuple, dict] = {}
    for n, wide in enumerate(widest):
        # Each count reads only the columns of what it adds to the condition read (the rows all
        # match that one), and no id: the partial index then answers alone, index-only
        # (untraceable of twelve months at 1M: 245 → 30 ms; deadlines within 7/14 days: 100 → 15 ms).
        counts = {name: _count_within(condition, wide) for name, condition in mine[n].items()}
        for row in cases.filter(wide).values(*group).annotate(**counts):
            key = tuple(row[column] for column in group)
            found = rows.setdefault(key, {**dict(zip(group, key, strict=True)), **dict.fromkeys(parts, 0)})
            for name in counts:
                found[name] += row[name]
    return list(rows.values())


def _count_within(condition: Q, wide: Q) -> Aggregate:
    """The rows of ``wide`` that ``condition`` matches: ``count(*)`` when they are the same,
    else ``sum(1) FILTER`` on the lookups ``condition`` has beyond ``wide``'s."""
    if condition is wide or condition == wide:
        return Count("*")
    rest = [c for c in condition.children if c not in wide.children] if _implies(condition, wide) else [condition]
    return Sum(Value(1), filter=Q(*rest), default=0)


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
    states = _tallied_outcomes(outcomes, clock)
    if states is None:
        due, outcomes = _outcomes_from_rows(due, outcomes, clock)
    result: dict = defaultdict(CaseFigures)
    scope = {} if office_id is None else {"office_id": office_id}
    # The national page (per office, every office) reads the tally without counsellors. Plain rows
    # (decision 118: the ORM's dicts of its ~3k rows were a fifth of the national page's Python).
    source = OfficeTally if group == "office_id" and office_id is None else CaseTally
    if group not in ("office_id", "counsellor_id"):
        raise ValueError(f"unexpected group: {group}")
    columns = ", ".join(_KEY)
    where = "" if office_id is None else "WHERE office_id = %s"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT {group}, {columns}, sum(n) FROM {source._meta.db_table} {where}
                GROUP BY {group}, {columns} HAVING sum(n) <> 0""",  # noqa: S608 (constant names)
            [] if office_id is None else [office_id],
        )  # 1
        rows = cursor.fetchall()
    matching: dict[tuple, list[str]] = {}  # the figures of a key, asked once per key (not per office or counsellor)
    for key_of_group, *key, n in rows:
        _count(result[key_of_group], tuple(key), n, tallied, matching)

    # The rows near "now" only, each condition served by its partial index (BitmapOr): the
    # figures counted from the rows, and what the tallied ones subtract.
    cases = Case.objects.filter(**scope).order_by()
    parts = {f"n_{figure.name}": figure.condition(clock) for figure in due}
    parts |= {f"minus_{figure.name}": figure.summary.minus(clock) for figure in tallied if figure.summary.minus}
    if parts:
        for row in _near_rows(cases, (group,), parts):  # 2
            f = result[row[group]]
            for figure in due:
                f.counts[figure.name] = row[f"n_{figure.name}"]
            for figure in tallied:
                if figure.summary.minus:
                    f.counts[figure.name] -= row[f"minus_{figure.name}"]

    # Outcomes of the last twelve months, and the median days from the first notification to
    # the outcome (per office: with the counts nationally, apart for an office's dashboard).
    whole = group == "office_id" and office_id is None  # the national page: the whole country's median too
    if group == "office_id" and states is not None:  # from the outcome tally (decision 114)
        found = outcome_tally.read(clock=clock, states=sorted(set(states.values())),
                                   office_ids=None if office_id is None else [office_id])  # 3
        for key, median in found["medians"].items():
            f = result[key]
            f.median_days = median
            for figure in outcomes:
                f.counts[figure.name] = found["counts"].get((key, states[figure.name]), 0)
        return {"figures": dict(result), "office_medians": found["medians"], "national_median": found["national"] if whole else None}
    recent = cases.filter(clock.last_12_months("outcome_at"), outcome_at__isnull=False)
    ended = Q(state__in=list(ENDED), first_notified_on__isnull=False)
    days = DaysBetween(TruncDate("outcome_at"), "first_notified_on")
    counts: dict[str, Aggregate] = {figure.name: Count("id", filter=figure.condition(clock)) for figure in outcomes}
    if group == "office_id":
        counts["median"] = Median(days, filter=ended)
    medians = {}
    national = None
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


def _tallied_outcomes(outcomes: list, clock) -> dict[str, str] | None:
    """{figure name: state} when every outcome figure is "in this state, dated in the last twelve
    months" by the day the outcome tally dates that state by (its outcome; an untraceable case the
    day it went out of sight, ``outcomes.DATED``); else None, and the rows are read."""
    found = {}
    for figure in outcomes:
        condition = figure.condition(clock)
        state = next((value for lookup, value in condition.children if lookup == "state"), None) if all(
            isinstance(child, tuple) for child in condition.children) else None
        if state is None or condition != Q(state=state) & clock.last_12_months(outcome_tally.dated_by(str(state))):
            return None
        found[figure.name] = str(state)
    return found


def _outcomes_from_rows(due: list, outcomes: list, clock) -> tuple[list, list]:
    """Without the outcome tally the outcome figures are counted from the rows of the outcomes of
    the twelve months; a figure outside them (untraceable: no outcome, dated by its state) is
    counted with the due rows, through its own partial index."""
    window = clock.last_12_months("outcome_at")
    within = [figure for figure in outcomes if _implies(figure.condition(clock), window)]
    return due + [figure for figure in outcomes if figure not in within], within


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
    (per (office, week) only without ``per_counsellor``: the national page's sums, from the office
    conversation tally, decision 118: a few rows per office and week instead of one per counsellor)."""
    scope = {} if office_id is None else {"office_id": office_id}
    group = ("office_id", "week", "counsellor_id") if per_counsellor else ("office_id", "week")
    source = ConversationTally if per_counsellor else OfficeConversationTally
    status = {"held": ["held"], "no_show": ["no_show"], "planned": ["planned"], "cancelled": ["cancelled", "rescheduled"]}
    # Mappings: the annotated counts are not in the row type the stubs infer from ``values()``.
    rows: Iterable[Mapping[str, Any]] = (
        source.objects.filter(week__gte=clock.weeks[0], week__lte=clock.weeks[-1], **scope)
        .values(*group)
        .annotate(**{name: Sum("n", filter=Q(status__in=values), default=0) for name, values in status.items()})
        .order_by()
    )
    return [{**row, "case__office_id": row["office_id"]} for row in rows if any(row[name] for name in status)]


def office_figures(*, clock, office_ids: list[int], per_counsellor: tuple[str, ...]) -> dict[int, dict]:
    """What each office's page needs, for many offices at once (decision 114: the warm cycle's 36
    pages in a few queries instead of six each): {office id: {"totals": CaseFigures of the office,
    "counsellors": {counsellor id: CaseFigures with the ``per_counsellor`` figures (and the due
    ones)}, "median": median days or None}}. The totals are what ``case_figures(group=
    "counsellor_id", office_id=...)`` summed over the counsellors gives; a counsellor's figures
    the same for ``per_counsellor``, and every counsellor holding a case of the office has some."""
    from counselling.dashboards.selectors import CaseFigures, DaysBetween, Median

    tallied, due, outcomes = _plan()
    states = _tallied_outcomes(outcomes, clock)
    if states is None:
        due, outcomes = _outcomes_from_rows(due, outcomes, clock)
    found: dict[int, dict] = {
        office_id: {"totals": CaseFigures(), "counsellors": defaultdict(CaseFigures), "median": None} for office_id in office_ids
    }
    columns = ", ".join(_KEY)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT office_id, {columns}, sum(n) FROM counselling_officetally WHERE office_id = ANY(%s)
                GROUP BY office_id, {columns} HAVING sum(n) <> 0""",  # noqa: S608 (constant names)
            [list(office_ids)],
        )  # 1
        rows = cursor.fetchall()
    matching: dict[tuple, list[str]] = {}
    for office_id, *key, n in rows:
        _count(found[office_id]["totals"], tuple(key), n, tallied, matching)
    # Per counsellor only the figures of the counsellor rows, summed in SQL over the keys that count
    # for each (the case tally has one row per counsellor and key: tens of thousands).
    mine = [figure for figure in tallied if figure.name in per_counsellor]
    keys = [key for key, names in matching.items() if any(figure.name in names for figure in mine)]
    flags = [[int(figure.name in matching[key]) for key in keys] for figure in mine]
    types = ["text", "text", "bool", "bool", "bool", "bool", "bool"]
    arrays = ", ".join(f"%s::{kind}[]" for kind in types + ["int"] * len(mine))
    sums = "".join(f", sum(t.n * coalesce(m.f{k}, 0))" for k in range(len(mine)))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT t.office_id, t.counsellor_id, sum(t.n){sums} FROM counselling_casetally t
                LEFT JOIN unnest({arrays}) AS m({columns}{"".join(f", f{k}" for k in range(len(mine)))})
                  ON ({", ".join(f"t.{c}" for c in _KEY)}) = ({", ".join(f"m.{c}" for c in _KEY)})
                WHERE t.office_id = ANY(%s) GROUP BY 1, 2 HAVING sum(t.n) <> 0""",  # noqa: S608 (constant names)
            [*([key[n] for key in keys] for n in range(len(_KEY))), *flags, list(office_ids)],
        )  # 2
        for office_id, counsellor_id, _total, *values in cursor.fetchall():
            f = found[office_id]["counsellors"][counsellor_id]
            for figure, n in zip(mine, values, strict=True):
                f.counts[figure.name] = n

    cases = Case.objects.filter(office_id__in=list(office_ids)).order_by()
    parts = {f"n_{figure.name}": figure.condition(clock) for figure in due}
    parts |= {f"minus_{figure.name}": figure.summary.minus(clock) for figure in tallied if figure.summary.minus}
    if parts:
        for row in _near_rows(cases, ("office_id", "counsellor_id"), parts):  # 3
            office = found[row["office_id"]]
            f = office["counsellors"][row["counsellor_id"]]
            for figure in due:
                f.counts[figure.name] = row[f"n_{figure.name}"]
                office["totals"].counts[figure.name] += row[f"n_{figure.name}"]
            for figure in tallied:
                if figure.summary.minus:
                    office["totals"].counts[figure.name] -= row[f"minus_{figure.name}"]
                    if figure in mine:
                        f.counts[figure.name] -= row[f"minus_{figure.name}"]

    if states is not None:
        read = outcome_tally.read(clock=clock, states=sorted(set(states.values())),
                                  office_ids=list(office_ids))  # 4
        for office_id, figures in found.items():
            figures["median"] = read["medians"].get(office_id)
            for figure in outcomes:
                figures["totals"].counts[figure.name] = read["counts"].get((office_id, states[figure.name]), 0)
    elif outcomes:
        recent = cases.filter(clock.last_12_months("outcome_at"), outcome_at__isnull=False)
        ended = Q(state__in=list(ENDED), first_notified_on__isnull=False)
        counts: dict[str, Aggregate] = {figure.name: Count("id", filter=figure.condition(clock)) for figure in outcomes}
        counts["median"] = Median(DaysBetween(TruncDate("outcome_at"), "first_notified_on"), filter=ended)
        for row in recent.values("office_id").annotate(**counts):  # 4
            figures = found[row["office_id"]]
            figures["median"] = row["median"]
            for figure in outcomes:
                figures["totals"].counts[figure.name] = row[figure.name]
    return found


def office_conversation_rows(*, clock, office_ids: list[int]) -> dict[int, list[dict]]:
    """``conversation_rows`` per office, for many offices in one query (plain rows, no ORM
    conversion of tens of thousands of them)."""
    found: dict[int, list[dict]] = {office_id: [] for office_id in office_ids}
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT office_id, week, counsellor_id,
                      coalesce(sum(n) FILTER (WHERE status = 'held'), 0),
                      coalesce(sum(n) FILTER (WHERE status = 'no_show'), 0),
                      coalesce(sum(n) FILTER (WHERE status = 'planned'), 0),
                      coalesce(sum(n) FILTER (WHERE status IN ('cancelled', 'rescheduled')), 0)
               FROM counselling_conversationtally
               WHERE office_id = ANY(%s) AND week >= %s AND week <= %s
               GROUP BY office_id, week, counsellor_id""",
            [list(office_ids), clock.weeks[0], clock.weeks[-1]],
        )
        for office_id, week, counsellor_id, held, no_show, planned, cancelled in cursor.fetchall():
            if held or no_show or planned or cancelled:
                found[office_id].append({"office_id": office_id, "case__office_id": office_id, "week": week,
                                         "counsellor_id": counsellor_id, "held": held, "no_show": no_show,
                                         "planned": planned, "cancelled": cancelled})
    return found
