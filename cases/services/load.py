"""Counsellor load counters (decision 060): changed by the services, in their transaction.

A case counts for its counsellor while it is open. Every service that changes a case's
counsellor or moves it between open and terminal states takes :func:`load_key` before and after
and calls :func:`shift_load`; :func:`recompute_loads` rebuilds every counter from the cases
(``manage.py check_counsellor_load``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from django.db import connection
from django.db.models import Count

from cases.models import OPEN_STATES, TERMINAL_STATES, Case, CounsellorLoad


def load_key(case: Case) -> int | None:
    """The counsellor this case counts for now (None: it counts for nobody)."""
    if case.counsellor_id is None or case.state in TERMINAL_STATES:
        return None
    return case.counsellor_id


def shift_load(before: int | None, after: int | None) -> None:
    """The case counted for ``before`` and now counts for ``after``."""
    if before == after:
        return
    deltas: Counter[int] = Counter()
    if before is not None:
        deltas[before] -= 1
    if after is not None:
        deltas[after] += 1
    add_load(deltas)


def add_load(deltas: Mapping[int, int]) -> None:
    """Add to the counters in one statement, in counsellor order (no deadlock between two writers)."""
    rows = sorted((pk, delta) for pk, delta in deltas.items() if delta)
    if not rows:
        return
    values = ", ".join(["(%s, %s)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(counter_upsert(f"VALUES {values}"), [value for row in rows for value in row])


def counter_upsert(rows: str) -> str:
    """The counters' upsert: add each ``(counsellor_id, open_cases)`` row of ``rows`` (a ``VALUES``
    list or a ``SELECT``) to that counsellor's counter, creating it at need."""
    table = CounsellorLoad._meta.db_table
    return (
        f"INSERT INTO {table} (counsellor_id, open_cases) {rows} "
        f"ON CONFLICT (counsellor_id) DO UPDATE SET open_cases = {table}.open_cases + EXCLUDED.open_cases"
    )


def actual_loads() -> dict[int, int]:
    """Counted from the cases: {counsellor id: open cases} (for checks, never on the hot path)."""
    return dict(
        Case.objects.filter(state__in=OPEN_STATES, counsellor__isnull=False)
        .values_list("counsellor_id").annotate(n=Count("id")).values_list("counsellor_id", "n")
    )


def load_mismatches() -> dict[int, tuple[int, int]]:
    """{counsellor id: (counter, real count)} wherever the two differ."""
    real = actual_loads()
    kept = dict(CounsellorLoad.objects.values_list("counsellor_id", "open_cases"))
    return {pk: (kept.get(pk, 0), real.get(pk, 0)) for pk in set(real) | set(kept) if kept.get(pk, 0) != real.get(pk, 0)}


def recompute_loads(counsellors: Iterable[int] | None = None) -> int:
    """Set every counter (or those of ``counsellors``) to the real count; returns how many changed."""
    mismatches = load_mismatches()
    if counsellors is not None:
        wanted = set(counsellors)
        mismatches = {pk: pair for pk, pair in mismatches.items() if pk in wanted}
    add_load({pk: real - kept for pk, (kept, real) in mismatches.items()})
    return len(mismatches)
