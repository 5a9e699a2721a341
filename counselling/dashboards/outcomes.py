"""The outcomes of the last twelve months and their exact medians, from a tally (decision 114).

``counselling_outcometally`` holds signed deltas of the cases whose outcome falls on or after one
day, ``counselling_outcomewindow.since``, in two kinds of rows: per (office, state) with ``days``
empty (the outcome counts; and the untraceable cases that went out of sight on or after that day,
dated by ``state_entered_at``: ``DATED``, decision 121), and per (office, whole days from the
first notification to the outcome's local day) with ``state`` empty, for the cases of an ended
state with a notification (the medians' histogram). Both are bounded by offices × states or
offices × days, whatever the number of cases. A statement trigger on the case table keeps it, as
the case tally (decision 065) is kept: an outcome recorded, changed or cleared (a reopened case), a
case moved to another office, a first notification changed, a case gone untraceable or found
again, a case inserted or deleted. The fold (``COMPACT``) packs each office's histogram into one
row, ``histogram`` holding the counts of ``days``, ``days`` + 1, … (decision 121): readers add the
few deltas written since to ~35 arrays instead of summing ~25k rows.

Readers want the twelve months ending on their clock's day. The tally counts from ``since``, so a
reader adds or removes the case rows between ``since`` and the start of its window and those
after its day (the partial indexes ``case_outcome`` on ``outcome_at`` and
``case_untraceable_since`` on ``state_entered_at``): a day or two of rows while
the fold (:func:`slide`, with the tallies' fold) moves ``since`` forward every day, and exact
whatever the lag. With no window row the tally is ignored and the rows are read.

The median is ``percentile_cont(0.5)`` of the whole days (``selectors.Median``): the middle value,
or the average of the two middle ones when their number is even, found by bisecting the running
counts of the days (``_middle``).
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import operator
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection, transaction

from cases.figures import Clock


def _day(zone: str) -> str:
    """The outcome's local day (what ``TruncDate("outcome_at")`` gives the live figures)."""
    return f"(outcome_at AT TIME ZONE '{zone}')::date"


def _from(zone: str, day: str) -> str:
    """The first instant of the local ``day`` (an SQL date expression)."""
    return f"(({day})::timestamp AT TIME ZONE '{zone}')"


COLUMNS = "office_id, state, days"
# The states whose outcomes have a median of days from the first notification (one fact: the
# trigger's histogram and the live figures' filter, ``summary``).
ENDED = ("departed", "removed", "legal_stay_granted", "closed")
# The states counted from another day than their outcome (the count rows only): an untraceable
# case has no outcome (it is not ended); its figure counts it from the day it went out of sight
# (``cases.figures``, "untraceable"), read through the partial index ``case_untraceable_since``.
DATED = {"untraceable": "state_entered_at"}


def dated_by(state: str) -> str:
    """The column whose twelve months the tally counts a case of ``state`` in."""
    return DATED.get(state, "outcome_at")


def _rows(zone: str, cases: str, sign: str, low: tuple[str, ...], high: tuple[str, ...] = (), scope: str = "") -> str:
    """The tally rows of the cases of ``cases`` dated from every bound of ``low`` and before every
    one of ``high``, each counted ``sign``: one count row (dated as ``dated_by`` its state says),
    and one histogram row for an ended case with a notification (by its outcome). (Bounds apart,
    not ``greatest``: a constant one is what the planner's estimate reads to choose the index.)"""
    def within(column: str) -> str:
        return " AND ".join([*(f"{column} >= {bound}" for bound in low), *(f"{column} < {bound}" for bound in high)]) + scope

    ended = ", ".join(f"'{state}'" for state in ENDED)
    others = ", ".join(f"'{state}'" for state in DATED)
    dated = "".join(
        f"""
        UNION ALL
        SELECT office_id, state, NULL::int, {sign} FROM {cases} WHERE state = '{state}' AND {within(column)}"""  # noqa: S608
        for state, column in DATED.items()
    )
    return f"""SELECT office_id, state, NULL::int, {sign} FROM {cases} WHERE {within("outcome_at")} AND state NOT IN ({others}){dated}
        UNION ALL
        SELECT office_id, NULL, {_day(zone)} - first_notified_on, {sign} FROM {cases}
        WHERE {within("outcome_at")} AND state IN ({ended}) AND first_notified_on IS NOT NULL"""  # noqa: S608 (constant names)


def function(zone: str) -> str:
    def changes(rows: str) -> str:
        return f"""INSERT INTO counselling_outcometally ({COLUMNS}, n)
      SELECT {COLUMNS}, sum(d) FROM ({rows}) AS moved({COLUMNS}, d) GROUP BY 1, 2, 3 HAVING sum(d) <> 0;"""  # noqa: S608

    old, new = _rows(zone, "old_cases", "-1", ("since_at",)), _rows(zone, "new_cases", "1", ("since_at",))
    dated = ", ".join(f"'{state}'" for state in DATED)
    return f"""
CREATE OR REPLACE FUNCTION counselling_outcome_tally() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  since_at timestamptz;
BEGIN
  IF TG_OP = 'INSERT' THEN  -- (nested: a DELETE's trigger has no new_cases to plan the test on)
    IF NOT EXISTS (SELECT FROM new_cases WHERE outcome_at IS NOT NULL OR state IN ({dated})) THEN
      RETURN NULL;  -- cases opened without an outcome (every order's): nothing to count
    END IF;
  END IF;
  SELECT {_from(zone, "w.since")} INTO since_at FROM counselling_outcomewindow w WHERE w.id = 1;
  IF since_at IS NULL THEN
    RETURN NULL;  -- no window: readers read the rows
  END IF;
  IF TG_OP = 'INSERT' THEN
    {changes(new)}
  ELSIF TG_OP = 'DELETE' THEN
    {changes(old)}
  ELSE
    {changes(f"{old} UNION ALL {new}")}
  END IF;
  RETURN NULL;
END $$;
"""  # noqa: S608 (constant names, the zone from settings)


TRIGGERS = """
CREATE TRIGGER outcome_tally_insert AFTER INSERT ON cases_case REFERENCING NEW TABLE AS new_cases
  FOR EACH STATEMENT EXECUTE FUNCTION counselling_outcome_tally();
CREATE TRIGGER outcome_tally_update AFTER UPDATE ON cases_case REFERENCING OLD TABLE AS old_cases NEW TABLE AS new_cases
  FOR EACH STATEMENT EXECUTE FUNCTION counselling_outcome_tally();
CREATE TRIGGER outcome_tally_delete AFTER DELETE ON cases_case REFERENCING OLD TABLE AS old_cases
  FOR EACH STATEMENT EXECUTE FUNCTION counselling_outcome_tally();
"""

DROP = """
DROP TRIGGER IF EXISTS outcome_tally_insert ON cases_case;
DROP TRIGGER IF EXISTS outcome_tally_update ON cases_case;
DROP TRIGGER IF EXISTS outcome_tally_delete ON cases_case;
DROP FUNCTION IF EXISTS counselling_outcome_tally();
"""


# The fold (with the other tallies', ``tally.compact``): every row of the statement's snapshot is
# summed, the count rows per key and the histogram per office packed into one row, its counts from
# its first day on (decision 121: the reader fetches ~35 arrays, not ~25k rows, and finds the
# medians with no loop per day). Rows appended meanwhile are not in the snapshot: they stay,
# deltas for the next fold, and nothing is counted twice (the advisory lock of ``tally.compact``
# keeps two folds apart).
COMPACT = """
WITH gone AS (
  DELETE FROM counselling_outcometally RETURNING office_id, state, days, n, histogram
), expanded AS (
  SELECT office_id, state, days, n FROM gone WHERE histogram IS NULL
  UNION ALL
  SELECT office_id, NULL, days + (k - 1)::int, v FROM gone, unnest(histogram) WITH ORDINALITY AS u(v, k)
  WHERE histogram IS NOT NULL
), summed AS (
  SELECT office_id, state, days, sum(n)::int AS n FROM expanded GROUP BY 1, 2, 3 HAVING sum(n) <> 0
), bounds AS (
  SELECT office_id, min(days) AS first, max(days) AS last FROM summed WHERE state IS NULL GROUP BY office_id
)
INSERT INTO counselling_outcometally (office_id, state, days, n, histogram)
SELECT office_id, state, days, n, NULL FROM summed WHERE state IS NOT NULL
UNION ALL
SELECT b.office_id, NULL, b.first, 0, array_agg(coalesce(s.n, 0) ORDER BY g.day)
FROM bounds b CROSS JOIN LATERAL generate_series(b.first, b.last) AS g(day)
LEFT JOIN summed s ON s.state IS NULL AND coalesce(s.office_id, -1) = coalesce(b.office_id, -1) AND s.days = g.day
GROUP BY b.office_id, b.first
"""

# The packed rows as delta rows again (the reverse of counselling 0021: the earlier readers sum rows).
UNPACK = """
WITH gone AS (
  DELETE FROM counselling_outcometally WHERE histogram IS NOT NULL RETURNING office_id, days, histogram
)
INSERT INTO counselling_outcometally (office_id, state, days, n)
SELECT office_id, NULL, days + (k - 1)::int, v FROM gone, unnest(histogram) WITH ORDINALITY AS u(v, k) WHERE v <> 0
"""


def fill(cursor, zone: str, since: dt.date | None = None) -> None:
    """Recount from the cases, from ``since`` (the first day of today's twelve months): rows per
    key, packed by the next fold (``COMPACT``; the readers sum both kinds)."""
    since = since or Clock.start().since_12_months
    cursor.execute("DELETE FROM counselling_outcometally")
    cursor.execute("DELETE FROM counselling_outcomewindow")
    cursor.execute("INSERT INTO counselling_outcomewindow (id, since) VALUES (1, %s)", [since])
    cursor.execute(
        f"""INSERT INTO counselling_outcometally ({COLUMNS}, n)
            SELECT {COLUMNS}, sum(d) FROM ({_rows(zone, "cases_case", "1", (_from(zone, "%(since)s::date"),))})
            AS counted({COLUMNS}, d) GROUP BY 1, 2, 3""",  # noqa: S608
        {"since": since},
    )


def slide(today: dt.date | None = None) -> bool:
    """Move the window's first day to the first day of today's twelve months: the rows of the days
    left behind are subtracted, under a share lock on the cases (no case written meanwhile, so no
    delta is lost or counted twice). Skipped (False) when the window is current, missing, or the
    lock is not had within two seconds (the next fold tries again; readers are exact either way)."""
    zone = settings.TIME_ZONE
    start = Clock.start().since_12_months if today is None else Clock(now=Clock.start().now, today=today).since_12_months
    with connection.cursor() as cursor:
        cursor.execute("SELECT since FROM counselling_outcomewindow WHERE id = 1")
        found = cursor.fetchone()
    if found is None or found[0] >= start:
        return False
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '2s'")
            cursor.execute("LOCK TABLE cases_case IN SHARE MODE")
            cursor.execute("SELECT since FROM counselling_outcomewindow WHERE id = 1 FOR UPDATE")
            since = cursor.fetchone()[0]
            if since >= start:
                return False
            cursor.execute(
                f"""INSERT INTO counselling_outcometally ({COLUMNS}, n)
                    SELECT {COLUMNS}, sum(d) FROM ({_rows(zone, "cases_case", "-1", (_from(zone, "%(since)s::date"),),
                                                         (_from(zone, "%(start)s::date"),))}) AS counted({COLUMNS}, d)
                    GROUP BY 1, 2, 3 HAVING sum(d) <> 0""",  # noqa: S608
                {"since": since, "start": start},
            )
            cursor.execute("UPDATE counselling_outcomewindow SET since = %s WHERE id = 1", [start])
    except OperationalError:  # the lock was not had in time
        return False
    return True


def read(*, clock: Clock, states: list[str], office_ids: list[int] | None = None) -> dict:
    """{"counts": {(office id, state): cases}, "medians": {office id: median}, "national": median}
    for the outcomes of ``clock``'s twelve months: counts of ``states``, medians of the days of the
    ended cases with a first notification (``ENDED``), per office and of all of them together. One
    statement (one snapshot of tally and rows): after the fold a packed histogram per office, the
    count rows and the deltas since (decision 121)."""
    zone = settings.TIME_ZONE
    scope = "" if office_ids is None else " AND office_id = ANY(%(offices)s)"
    window = "(SELECT a FROM b)"
    corrections = [
        _rows(zone, "cases_case", "-1", (window,), ("%(start)s",), scope),
        _rows(zone, "cases_case", "-1", (window, "%(end)s"), (), scope),
        _rows(zone, "cases_case", "1", ("%(start)s",), (window, "%(end)s"), scope),
    ]
    sql = f"""
WITH w AS (SELECT {_from(zone, "since")} AS a FROM counselling_outcomewindow WHERE id = 1),
b AS (SELECT coalesce((SELECT a FROM w), 'infinity'::timestamptz) AS a)
SELECT {COLUMNS}, n, histogram FROM counselling_outcometally WHERE EXISTS (SELECT FROM w){scope}
UNION ALL SELECT *, NULL::int[] FROM ({" UNION ALL ".join(corrections)}) AS corrections
"""  # noqa: S608 (constant names, the zone from settings)
    params: dict[str, Any] = {"start": clock.midnight(clock.since_12_months),
                              "end": clock.midnight(clock.today + dt.timedelta(days=1)), "offices": office_ids}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found: list[tuple] = cursor.fetchall()
    totals: dict[tuple[int | None, str], int] = defaultdict(int)
    packed: dict[int | None, list[tuple[int, list[int]]]] = defaultdict(list)
    deltas: dict[int | None, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for office_id, state, days, n, histogram in found:
        if histogram is not None:
            packed[office_id].append((days, histogram))
        elif state is None:
            deltas[office_id][days] += n
        else:
            totals[(office_id, state)] += n
    wanted = set(states)
    counts: dict[tuple[int | None, str], int] = {}
    medians: dict[int | None, float | None] = {}
    for (office_id, state), n in totals.items():
        if n:
            if state not in DATED:
                medians[office_id] = None  # an office with outcomes in the window, a median or not
            if state in wanted:
                counts[(office_id, state)] = n
    histograms = {office_id: _dense(packed.get(office_id, []), deltas.get(office_id, {}))
                  for office_id in packed.keys() | deltas.keys()}
    for office_id, (_first, counted) in histograms.items():
        if any(counted):
            medians[office_id] = _middle(*histograms[office_id])
    return {"counts": counts, "medians": medians, "national": _middle(*_dense(list(histograms.values()), {}))}


def _dense(parts: list[tuple[int, list[int]]], deltas: dict[int, int]) -> tuple[int, list[int]]:
    """(first day, the counts of every day from it) of packed histograms ((first day, counts)) and
    deltas ({day: count}) added together: slices added in C, a loop only over the deltas."""
    days = [first for first, _counts in parts] + [first + len(counts) - 1 for first, counts in parts] + list(deltas)
    if not days:
        return 0, []
    first = min(days)
    dense = [0] * (max(days) - first + 1)
    for start, counts in parts:
        at = start - first
        dense[at:at + len(counts)] = map(operator.add, dense[at:at + len(counts)], counts)
    for day, n in deltas.items():
        dense[day - first] += n
    return first, dense


def _middle(first: int, counts: list[int]) -> float | None:
    """``percentile_cont(0.5)`` of the days ``first``, ``first`` + 1, … each counted ``counts``
    times: the middle one, or the average of the two middle ones when their number is even."""
    reached = list(itertools.accumulate(counts))  # (no count is negative: a monotonic sequence)
    total = reached[-1] if reached else 0
    if total <= 0:
        return None
    low, high = (total - 1) // 2, total // 2  # 0-based positions of the middle values
    return (2 * first + bisect.bisect_right(reached, low) + bisect.bisect_right(reached, high)) / 2


def median(histogram: dict[int, int]) -> float | None:
    """``percentile_cont(0.5)`` of the values counted in ``histogram`` ({value: how many})."""
    return _middle(*_dense([], histogram))
