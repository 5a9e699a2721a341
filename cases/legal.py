"""The legal clock: every date the law sets, as small pure functions (no ORM).

Sources (DESIGN §2): the departure term runs from notification, 30 days in principle and a
shorter term must be reasoned (Return Directive art. 7: 7–30 days; 0–7 days for a risk of
absconding, public order or fraud); appeals against an order within 30 days (10 when held in a
closed centre or return house); an extreme-urgency request within 10 days (5 against a second
removal measure); a deadline that ends on a Saturday, Sunday or Belgian public holiday moves to
the next working day; detention 2 months, extendable to 5, or 8 for public order; reintegration
support to be used within 12 months of departure; an entry ban runs from actual departure.
"""

from __future__ import annotations

import calendar
import datetime as dt
from enum import StrEnum
from functools import lru_cache

import holidays

from cases import procedure_kinds

FULL_TERM_DAYS = 30
MAX_TERM_DAYS = 30


class TermReasonRequired(ValueError):
    """A departure term under 30 days without a reason."""


@lru_cache(maxsize=64)
def _belgian_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("BE", years=year)


def is_public_holiday(day: dt.date) -> bool:
    return day in _belgian_holidays(day.year)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and not is_public_holiday(day)


def next_working_day_on_or_after(day: dt.date) -> dt.date:
    """The rule for deadlines: one ending on a weekend or public holiday moves to the next working day."""
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def add_working_days(start: dt.date, days: int) -> dt.date:
    """``days`` working days after ``start`` (0: start itself if it is a working day, else the next one)."""
    day = start
    if days == 0:
        return next_working_day_on_or_after(day)
    while days > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end``."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def departure_deadline(*, notified_on: dt.date, term_days: int, term_reason: str = "") -> dt.date:
    """The last day to leave: the term counted from notification, rolled to a working day.

    A term of 0 days means leaving at once: the day of notification, no roll-over.
    """
    if not 0 <= term_days <= MAX_TERM_DAYS:
        raise ValueError(f"A departure term is 0 to {MAX_TERM_DAYS} days, not {term_days}.")
    if term_days < FULL_TERM_DAYS and not term_reason.strip():
        raise TermReasonRequired("A departure term under 30 days must be reasoned.")
    if term_days == 0:
        return notified_on
    return next_working_day_on_or_after(notified_on + dt.timedelta(days=term_days))


class Appeal(StrEnum):
    ANNULMENT_SUSPENSION = "annulment_suspension_appeal"
    EXTREME_URGENCY = "extreme_urgency_request"


def appeal_window_days(appeal: Appeal | str, *, detained: bool = False, second_removal_measure: bool = False) -> int:
    appeal = Appeal(appeal)
    if appeal is Appeal.ANNULMENT_SUSPENSION:
        return 10 if detained else 30
    return 5 if second_removal_measure else 10


def appeal_deadline(
    appeal: Appeal | str, *, notified_on: dt.date, detained: bool = False, second_removal_measure: bool = False
) -> dt.date:
    days = appeal_window_days(appeal, detained=detained, second_removal_measure=second_removal_measure)
    return next_working_day_on_or_after(notified_on + dt.timedelta(days=days))


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months later; the 31st becomes the last day of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class DetentionLimit(StrEnum):
    INITIAL = "none"
    EXTENDED = "extended"
    PUBLIC_ORDER = "public_order"


DETENTION_MONTHS = {DetentionLimit.INITIAL: 2, DetentionLimit.EXTENDED: 5, DetentionLimit.PUBLIC_ORDER: 8}


def detention_limit(*, started_on: dt.date, extension: DetentionLimit | str = DetentionLimit.INITIAL) -> dt.date:
    """The last day a person may be held: 2 months, extended to 5, or 8 for public order.

    Months count "from date to the day before the same date" (Judicial Code art. 54); when that
    date does not exist in the last month (held from 31 December: no 31 February), the term ends
    on that month's last day, not a day earlier.
    """
    months = DETENTION_MONTHS[DetentionLimit(extension)]
    same_date = add_months(started_on, months)
    if same_date.day < started_on.day:  # clamped to the month's last day: that day is the limit
        return same_date
    return same_date - dt.timedelta(days=1)


def reintegration_window_end(*, departed_on: dt.date) -> dt.date:
    """Reintegration support in kind is to be used within 12 months of departure."""
    return add_months(departed_on, 12)


def entry_ban_end(*, departed_on: dt.date, years: int) -> dt.date | None:
    """An entry ban starts at actual departure."""
    if years <= 0:
        return None
    return add_months(departed_on, 12 * years)


# Whether a kind of procedure suspends removal by itself is declared in cases.procedure_kinds.
is_suspensive_by_default = procedure_kinds.is_suspensive_by_default


# --- the departure period after the order (Directive art. 7(2), 7(4), 8(2); Aliens Act art. 74/14) ---
SHORT_TERM_DAYS = 7


def is_short_term(term_days: int) -> bool:
    """A period under 7 days (or none) may be given for a risk of absconding, public order or fraud
    (Directive art. 7(4); Aliens Act art. 74/14 §3): escalation need not wait for its end."""
    return term_days < SHORT_TERM_DAYS


def extended_departure_deadline(*, current: dt.date, days: int) -> dt.date:
    """The deadline after an extension by ``days`` (Directive art. 7(2); Aliens Act art. 74/14 §1),
    rolled to the next working day like every deadline."""
    if days < 1:
        raise ValueError("An extension is at least one day.")
    return next_working_day_on_or_after(current + dt.timedelta(days=days))


def shortened_departure_deadline(*, decided_on: dt.date, days: int) -> dt.date:
    """The deadline a shortening decision sets (Aliens Act art. 74/14 §3): ``days`` from the
    decision, 0 meaning at once."""
    if days < 0:
        raise ValueError("A period is 0 days or more.")
    if days == 0:
        return decided_on
    return next_working_day_on_or_after(decided_on + dt.timedelta(days=days))


# --- detention, the title (Aliens Act art. 7; CJEU Kadzoev C-357/09) ---------------------------
def days_held(*, started_on: dt.date, until: dt.date) -> int:
    """Calendar days in detention from the first day up to and including ``until``."""
    return max(0, (until - started_on).days + 1)


def eighteenth_birthday(birth_date: dt.date) -> dt.date:
    """The day a person comes of age (born on 29 February: 28 February, 18 years later)."""
    return add_months(birth_date, 12 * 18)
