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

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from cases.models import COUNSELLED_STATES, OPEN_STATES, Case, State
from counselling.models import CaseTally, ConversationTally

OUTCOMES = {"departed": State.DEPARTED, "removed": State.REMOVED, "legal_stay_granted": State.LEGAL_STAY_GRANTED,
            "closed": State.CLOSED}
_OPEN = frozenset(OPEN_STATES)
_COUNSELLED = frozenset(COUNSELLED_STATES)


def case_figures(*, clock, group: str, office_id: int | None = None) -> dict:
    """{group value: CaseFigures} with by_state / by_target_group of the open cases filled in."""
    from counselling.dashboards.selectors import CaseFigures, DaysBetween, Median

    figures: dict = defaultdict(CaseFigures)
    scope = {} if office_id is None else {"office_id": office_id}
    with_deadline: dict = defaultdict(int)
    tally = (
        CaseTally.objects.filter(**scope).values(group, "state", "target_group", "has_next", "has_deadline", "suspensive",
                                                 "escalation_proposed", "lose_contact_proposed")
        .annotate(total=Sum("n")).filter(~Q(total=0)).order_by()
    )
    for row in tally:  # 1
        f, n, state = figures[row[group]], row["total"], row["state"]
        if state in _OPEN:
            f.open += n
            f.by_state[state] = f.by_state.get(state, 0) + n
            f.by_target_group[row["target_group"]] = f.by_target_group.get(row["target_group"], 0) + n
            f.lose_contact_proposed += n if row["lose_contact_proposed"] else 0
            with_deadline[row[group]] += n if row["has_deadline"] else 0
        if state in _COUNSELLED and not row["has_next"]:
            f.no_planned += n
        if state == State.LEGAL_STAY_REVIEW and row["suspensive"]:
            f.suspensive_review += n
        if state in (State.ORIENTATION, State.VOLUNTARY_RETURN) and row["escalation_proposed"]:
            f.escalation_proposed += n

    cases = Case.objects.filter(**scope).order_by()
    today = clock.today
    # The rows near "now" only, each condition served by its partial index (BitmapOr).
    upcoming = Q(state__in=OPEN_STATES, departure_deadline__gte=today)
    overdue = Q(state__in=OPEN_STATES, next_conversation_at__isnull=False, next_conversation_at__lt=clock.now)
    untraceable = Q(state=State.UNTRACEABLE) & clock.last_12_months("state_entered_at")
    due = cases.filter(upcoming | overdue | untraceable).values(group).annotate(
        upcoming=Count("id", filter=upcoming),
        d7=Count("id", filter=upcoming & Q(departure_deadline__lte=today + dt.timedelta(days=7))),
        d14=Count("id", filter=upcoming & Q(departure_deadline__lte=today + dt.timedelta(days=14))),
        overdue=Count("id", filter=overdue),
        untraceable=Count("id", filter=untraceable),
    )
    upcoming_by_key = {}
    for row in due:  # 2
        f = figures[row[group]]
        f.deadline_7, f.deadline_14 = row["d7"], row["d14"]
        f.overdue_outcome, f.untraceable = row["overdue"], row["untraceable"]
        upcoming_by_key[row[group]] = row["upcoming"]
    for key, count in with_deadline.items():
        figures[key].deadline_passed = count - upcoming_by_key.get(key, 0)

    # Outcomes of the last twelve months, and the median days from the first notification to
    # the outcome (per office: with the counts nationally, apart for an office's dashboard).
    recent = cases.filter(clock.last_12_months("outcome_at"), outcome_at__isnull=False)
    ended = Q(state__in=list(OUTCOMES.values()), first_notified_on__isnull=False)
    days = DaysBetween(TruncDate("outcome_at"), "first_notified_on")
    counts = {name: Count("id", filter=Q(state=state)) for name, state in OUTCOMES.items()}
    if group == "office_id":
        counts["median"] = Median(days, filter=ended)
    medians = {}
    for row in recent.values(group).annotate(**counts):  # 3
        for name in OUTCOMES:
            setattr(figures[row[group]], name, row[name])
        if group == "office_id":
            figures[row[group]].median_days = medians[row[group]] = row["median"]
    if group != "office_id":
        medians = {office_id: recent.filter(ended).aggregate(median=Median(days))["median"]}  # 4
    national = recent.filter(ended).aggregate(median=Median(days))["median"] if office_id is None else None  # 4
    return {"figures": dict(figures), "office_medians": medians, "national_median": national}


def conversation_rows(*, clock, office_id: int | None = None) -> list[dict]:
    """What ``selectors._conversation_figures(..., "case__office_id")`` returns, from the
    conversation tally: per (office, week, counsellor) held / no-show / planned / cancelled."""
    scope = {} if office_id is None else {"office_id": office_id}
    status = {"held": ["held"], "no_show": ["no_show"], "planned": ["planned"], "cancelled": ["cancelled", "rescheduled"]}
    rows = (
        ConversationTally.objects.filter(week__gte=clock.weeks[0], week__lte=clock.weeks[-1], **scope)
        .values("office_id", "week", "counsellor_id")
        .annotate(**{name: Sum("n", filter=Q(status__in=values), default=0) for name, values in status.items()})
        .order_by()
    )
    return [{**row, "case__office_id": row.pop("office_id")} for row in rows if any(row[name] for name in status)]
