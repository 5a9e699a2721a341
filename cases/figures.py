"""The dashboard figures, each declared once (decision 085).

A figure is one ``Figure`` below: which cases it counts (``condition``), the caseload parameters
of the list behind its number (``link``), its label and its column heading (the tables, their CSV
exports), where it is shown, and how the dashboards' fast path counts it (``summary``). Everything
else reads this registry: the live dashboard queries (``counselling.dashboards.selectors``), the
tally path (``counselling.dashboards.summary``), the panels and tiles and their CSV exports
(``counselling.dashboards.panels``), the live tiles, the cache key (``counselling.dashboards.cache``)
and the caseload filter (``cases.caseload``), which is why the registry lives in ``cases``: the
caseload must not import counselling (DESIGN §5). How to add a figure: docs/decisions/085.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases.models import COUNSELLED_STATES, OPEN_STATES, State

WEEKS = 12


# --- one "now" for a page --------------------------------------------------------------------
def year_ago(day: dt.date) -> dt.date:
    """The first day of the twelve months that end on ``day`` (inclusive)."""
    try:
        start = day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        start = day.replace(year=day.year - 1, day=28)
    return start + dt.timedelta(days=1)


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class Clock:
    """One "now" for a whole page, so every figure on it is computed at the same instant."""

    now: dt.datetime
    today: dt.date

    @classmethod
    def start(cls, now: dt.datetime | None = None) -> Clock:
        now = now or timezone.now()
        return cls(now=now, today=timezone.localdate(now))

    @property
    def since_12_months(self) -> dt.date:
        return year_ago(self.today)

    @property
    def weeks(self) -> list[dt.date]:
        """The Mondays of the last twelve weeks, this week last."""
        this_week = week_start(self.today)
        return [this_week - dt.timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]

    def midnight(self, day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min))

    def last_12_months(self, field: str) -> Q:
        """``field``'s local date within the twelve months that end today, as a range on the column
        itself (``__date`` would convert every row and leave the index unused)."""
        return Q(**{f"{field}__gte": self.midnight(self.since_12_months),
                    f"{field}__lt": self.midnight(self.today + dt.timedelta(days=1))})


# --- how the fast path counts a figure (decision 065) ------------------------------------------
# The tally's key, as ``counselling.dashboards.tally`` derives it from a case row: office,
# counsellor, state, target_group and the booleans has_next, has_deadline, suspensive,
# escalation_proposed, lose_contact_proposed. A figure whose condition reads only these is
# counted from the tally without reading a case.
TallyKey = Mapping[str, object]


@dataclass(frozen=True)
class FromTally:
    """Counted from the tally rows whose key passes ``key``, less the case rows matching ``minus``
    (read through a partial index), when part of the condition depends on the clock."""

    key: Callable[[TallyKey], object]  # read as true or false
    minus: Callable[[Clock], Q] | None = None


@dataclass(frozen=True)
class FromRows:
    """Counted from the case rows matching the condition. ``"due"``: one query over the rows near
    "now", whose WHERE is the OR of these figures' conditions, so each condition should be served
    by a partial index (cases migration 0018); ``"outcomes"``: "in this state, in the last twelve
    months", read with the medians from the outcome tally (decisions 114, 121), which dates a state
    by its outcome (``outcome_at``) or, for untraceable, by ``state_entered_at``."""

    window: str = "due"


# --- the figure --------------------------------------------------------------------------------
ATTENTION, OUTCOMES = "attention", "outcomes"


@dataclass(frozen=True)
class Figure:
    name: str  # the attribute of CaseFigures, the tile's key, a caseload parameter when ``flag``
    label: Promise  # the tile and the row of its table
    condition: Callable[[Clock], Q]  # the cases it counts
    link: Callable[[Clock], dict]  # caseload parameters listing exactly those cases
    panel: str  # ATTENTION (tiles, "Cases needing attention", load per office) or OUTCOMES
    column: Promise | None = None  # heading where figures stand side by side (tables, CSV); else the label
    summary: FromTally | FromRows = field(default_factory=FromRows)
    alert: bool = False  # the tile stands out when the figure is not zero
    national_tile: bool = False
    live: bool = False  # recounted for the reader at request time, never from the cache (issue 14)
    # The caseload understands ``<name>=1`` as this figure's condition; ``describe`` names it on the
    # caseload page when the filter form has no field for it.
    flag: bool = False
    describe: Promise | None = None

    @property
    def heading(self) -> Promise:
        return self.column if self.column is not None else self.label


REGISTRY: dict[str, Figure] = {}


def declare(figure: Figure) -> Figure:
    if figure.name in REGISTRY:
        raise ValueError(f"figure {figure.name!r} is declared twice")
    REGISTRY[figure.name] = figure
    return figure


def figures(panel: str | None = None) -> list[Figure]:
    """The figures in the order they are shown, optionally of one panel only."""
    return [f for f in REGISTRY.values() if panel is None or f.panel == panel]


def names() -> tuple[str, ...]:
    return tuple(REGISTRY)


def caseload_flags() -> list[Figure]:
    return [f for f in REGISTRY.values() if f.flag]


def fingerprint() -> str:
    """Changes whenever a figure is added, removed, renamed or counts other cases: part of the
    dashboards' cache key, so a deploy never serves figures computed by the previous definitions."""
    clock = Clock(now=dt.datetime(2000, 1, 3, 12, tzinfo=dt.UTC), today=dt.date(2000, 1, 3))
    text = "|".join(f"{f.name}:{f.condition(clock)}" for f in REGISTRY.values())
    return hashlib.sha256(text.encode()).hexdigest()[:12]


# --- the figures ---------------------------------------------------------------------------------
def _open(clock: Clock) -> Q:
    return Q(state__in=OPEN_STATES)


def _deadline_within(days: int) -> Callable[[Clock], Q]:
    return lambda clock: _open(clock) & Q(departure_deadline__gte=clock.today,
                                          departure_deadline__lte=clock.today + dt.timedelta(days=days))


def _outcome(state: State) -> Callable[[Clock], Q]:
    return lambda clock: Q(state=state) & clock.last_12_months("outcome_at")


def _outcome_link(state: State) -> Callable[[Clock], dict]:
    return lambda clock: {"state": state.value, "outcome_since": clock.since_12_months.isoformat(),
                          "outcome_until": clock.today.isoformat()}


declare(Figure(
    "open", _("Open cases"), _open, lambda clock: {"state": "open"}, ATTENTION,
    column=pgettext_lazy("dashboard column: open cases", "Open"), national_tile=True,
    summary=FromTally(lambda k: k["state"] in OPEN_STATES),
))
declare(Figure(
    "no_planned", _("No planned conversation"),
    lambda clock: Q(state__in=COUNSELLED_STATES, next_conversation_at__isnull=True),
    lambda clock: {"no_planned": True}, ATTENTION, alert=True, national_tile=True, flag=True,
    summary=FromTally(lambda k: k["state"] in COUNSELLED_STATES and not k["has_next"]),
))
declare(Figure(
    "overdue_outcome", _("Conversations waiting for an outcome"),
    # At most one planned conversation per case (a DB constraint), so the case's next planned
    # time in the past is exactly "a conversation waiting for its outcome".
    lambda clock: _open(clock) & Q(next_conversation_at__lt=clock.now),
    lambda clock: {"overdue_outcome": True}, ATTENTION, column=_("Waiting for an outcome"), alert=True,
    flag=True, describe=_("outcome of a conversation overdue"),
))
declare(Figure(
    "deadline_7", _("Departure deadline in the next 7 days"), _deadline_within(7),
    lambda clock: {"deadline_within": 7}, ATTENTION, column=_("Deadline ≤ 7 days"), national_tile=True,
))
declare(Figure(
    "deadline_14", _("Departure deadline in the next 14 days"), _deadline_within(14),
    lambda clock: {"deadline_within": 14}, ATTENTION, column=_("Deadline ≤ 14 days"),
))
declare(Figure(
    "deadline_passed", _("Departure deadline passed"),
    lambda clock: _open(clock) & Q(departure_deadline__lt=clock.today),
    lambda clock: {"deadline_passed": True}, ATTENTION, column=_("Deadline passed"), alert=True, flag=True,
    # Open with a deadline, minus those from today on: the ever-growing past is never read.
    summary=FromTally(lambda k: k["state"] in OPEN_STATES and k["has_deadline"],
                      minus=lambda clock: _open(clock) & Q(departure_deadline__gte=clock.today)),
))
declare(Figure(
    "suspensive_review", _("Legal stay review with a suspensive procedure"),
    lambda clock: Q(state=State.LEGAL_STAY_REVIEW, pending_suspensive_procedures__gt=0),
    lambda clock: {"state": State.LEGAL_STAY_REVIEW.value, "suspensive": True}, ATTENTION,
    column=_("Suspensive procedure pending"), national_tile=True,
    summary=FromTally(lambda k: k["state"] == State.LEGAL_STAY_REVIEW and k["suspensive"]),
))
declare(Figure(
    "escalation_proposed", _("Escalation proposals waiting for a decision"),
    lambda clock: Q(escalation_proposed_at__isnull=False, state__in=[State.ORIENTATION, State.VOLUNTARY_RETURN]),
    lambda clock: {"escalation_proposed": True}, ATTENTION, column=_("Escalation proposals"),
    national_tile=True, live=True, flag=True, describe=_("escalation proposed"),
    summary=FromTally(lambda k: k["state"] in (State.ORIENTATION, State.VOLUNTARY_RETURN) and k["escalation_proposed"]),
))
declare(Figure(
    "lose_contact_proposed", _("Untraceable proposals waiting for a decision"),
    lambda clock: _open(clock) & Q(lose_contact_proposed_at__isnull=False),
    lambda clock: {"lose_contact_proposed": True}, ATTENTION, column=_("Untraceable proposals"),
    live=True, flag=True, describe=_("losing contact proposed"),
    summary=FromTally(lambda k: k["state"] in OPEN_STATES and k["lose_contact_proposed"]),
))
declare(Figure(
    "departed", _("Departed voluntarily"), _outcome(State.DEPARTED), _outcome_link(State.DEPARTED), OUTCOMES,
    column=_("Departed"), summary=FromRows("outcomes"),
))
declare(Figure(
    "removed", _("Removed"), _outcome(State.REMOVED), _outcome_link(State.REMOVED), OUTCOMES,
    summary=FromRows("outcomes"),
))
declare(Figure(
    "legal_stay_granted", _("Legal stay granted"), _outcome(State.LEGAL_STAY_GRANTED),
    _outcome_link(State.LEGAL_STAY_GRANTED), OUTCOMES, summary=FromRows("outcomes"),
))
declare(Figure(
    "untraceable", _("Untraceable"),
    # Not terminal: counted when the case went out of sight in the period and still is.
    lambda clock: Q(state=State.UNTRACEABLE) & clock.last_12_months("state_entered_at"),
    lambda clock: {"state": State.UNTRACEABLE.value, "state_since": clock.since_12_months.isoformat(),
                   "state_until": clock.today.isoformat()},
    OUTCOMES, summary=FromRows("outcomes"),
))
declare(Figure(
    "closed", _("Closed"), _outcome(State.CLOSED), _outcome_link(State.CLOSED), OUTCOMES,
    summary=FromRows("outcomes"),
))
