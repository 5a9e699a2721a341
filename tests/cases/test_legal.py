"""The legal clock (cases/legal.py): each row is a fact of DESIGN §2, with real Belgian dates.

Belgian public holidays used below (holidays package, checked): 2026-11-01 All Saints (Sunday),
2026-11-11 Armistice (Wednesday), 2026-12-25 Christmas (Friday), 2027-01-01 New Year (Friday),
2027-03-29 Easter Monday, 2026-05-14 Ascension (Thursday), 2027-11-01 All Saints (Monday).
"""

import datetime as dt

import pytest

from cases import legal

D = dt.date


# --- working days --------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 11, 10), True),  # Tuesday
        (D(2026, 11, 11), False),  # Armistice Day
        (D(2026, 11, 1), False),  # All Saints, a Sunday
        (D(2026, 11, 2), True),  # All Souls is not a Belgian public holiday
        (D(2026, 12, 25), False),  # Christmas
        (D(2026, 12, 26), False),  # Saturday (Boxing Day is not a Belgian holiday either)
        (D(2027, 3, 29), False),  # Easter Monday
        (D(2027, 3, 30), True),
        (D(2026, 7, 21), False),  # National Day
        (D(2026, 5, 14), False),  # Ascension
        (D(2026, 5, 25), False),  # Whit Monday
        (D(2026, 8, 15), False),  # Assumption, a Saturday
    ],
)
def test_working_day(day, working):
    assert legal.is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (D(2026, 11, 9), 0, D(2026, 11, 9)),  # a working day itself
        (D(2026, 11, 1), 0, D(2026, 11, 2)),  # Sunday holiday → Monday
        (D(2026, 11, 10), 1, D(2026, 11, 12)),  # skips Armistice Day
        (D(2026, 12, 24), 1, D(2026, 12, 28)),  # skips Christmas and the weekend
        (D(2026, 10, 30), 2, D(2026, 11, 3)),  # Friday + 2 working days
        (D(2027, 3, 25), 3, D(2027, 3, 31)),  # Thu → Fri, (weekend, Easter Monday) Tue, Wed
        (D(2026, 11, 26), 5, D(2026, 12, 3)),
    ],
)
def test_add_working_days(start, days, expected):
    assert legal.add_working_days(start, days) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2026, 11, 9), D(2026, 11, 9), 0),
        (D(2026, 11, 9), D(2026, 11, 13), 3),  # Tue, Thu, Fri (Wed 11 Nov is a holiday)
        (D(2026, 12, 24), D(2027, 1, 4), 5),  # 28, 29, 30, 31 Dec and 4 Jan
    ],
)
def test_working_days_between(start, end, expected):
    assert legal.working_days_between(start, end) == expected


# --- departure deadline: the term runs from notification ---------------------------------

@pytest.mark.parametrize(
    ("notified_on", "term", "reason", "expected", "fact"),
    [
        (D(2026, 3, 2), 30, "", D(2026, 4, 1), "30 days from notification, a Wednesday"),
        (D(2026, 10, 12), 30, "", D(2026, 11, 12), "ends on Armistice Day (Wed 11 Nov) → Thursday"),
        (D(2026, 10, 2), 30, "", D(2026, 11, 2), "ends on All Saints, a Sunday → Monday"),
        (D(2026, 11, 25), 30, "", D(2026, 12, 28), "ends on Christmas (Friday) → over the weekend → Monday"),
        (D(2026, 12, 2), 30, "", D(2027, 1, 4), "ends on New Year's Day (Friday) → Monday"),
        (D(2027, 2, 27), 30, "", D(2027, 3, 30), "ends on Easter Monday 2027 → Tuesday"),
        (D(2026, 5, 7), 30, "", D(2026, 6, 8), "ends on a Saturday → Monday"),
        (D(2027, 10, 2), 30, "", D(2027, 11, 2), "ends on All Saints 2027, a Monday → Tuesday"),
        (D(2026, 5, 7), 7, "Risk of absconding.", D(2026, 5, 15), "7 days, reasoned, ends on Ascension → Friday"),
        (D(2026, 3, 2), 15, "School-age children.", D(2026, 3, 17), "a reasoned shorter term"),
        (D(2026, 11, 1), 0, "Public order.", D(2026, 11, 1), "0 days: leave at once, the day of notification"),
        (D(2026, 3, 2), 29, "Fraud.", D(2026, 3, 31), "29 days with a reason"),
    ],
)
def test_departure_deadline(notified_on, term, reason, expected, fact):
    assert legal.departure_deadline(notified_on=notified_on, term_days=term, term_reason=reason) == expected, fact


@pytest.mark.parametrize(("term", "reason"), [(29, ""), (7, "   "), (0, ""), (1, "\n")])
def test_departure_term_under_30_days_must_be_reasoned(term, reason):
    with pytest.raises(legal.TermReasonRequired):
        legal.departure_deadline(notified_on=D(2026, 3, 2), term_days=term, term_reason=reason)


@pytest.mark.parametrize("term", [-1, 31, 90])
def test_departure_term_is_0_to_30_days(term):
    with pytest.raises(ValueError, match="0 to 30"):
        legal.departure_deadline(notified_on=D(2026, 3, 2), term_days=term, term_reason="reason")


def test_a_reason_is_not_needed_for_the_full_term():
    assert legal.departure_deadline(notified_on=D(2026, 3, 2), term_days=30) == D(2026, 4, 1)


# --- appeal windows: 30 / 10 (detained) / 10 extreme urgency / 5 (second measure) ----------

@pytest.mark.parametrize(
    ("appeal", "detained", "second", "days"),
    [
        (legal.Appeal.ANNULMENT_SUSPENSION, False, False, 30),
        (legal.Appeal.ANNULMENT_SUSPENSION, True, False, 10),
        (legal.Appeal.EXTREME_URGENCY, False, False, 10),
        (legal.Appeal.EXTREME_URGENCY, True, False, 10),
        (legal.Appeal.EXTREME_URGENCY, False, True, 5),
        ("annulment_suspension_appeal", True, False, 10),
        ("extreme_urgency_request", False, True, 5),
    ],
)
def test_appeal_window_days(appeal, detained, second, days):
    assert legal.appeal_window_days(appeal, detained=detained, second_removal_measure=second) == days


@pytest.mark.parametrize(
    ("appeal", "notified_on", "detained", "second", "expected"),
    [
        (legal.Appeal.ANNULMENT_SUSPENSION, D(2026, 3, 2), False, False, D(2026, 4, 1)),
        (legal.Appeal.ANNULMENT_SUSPENSION, D(2026, 10, 2), False, False, D(2026, 11, 2)),  # All Saints (Sun)
        (legal.Appeal.ANNULMENT_SUSPENSION, D(2026, 11, 1), True, False, D(2026, 11, 12)),  # Armistice Day
        (legal.Appeal.ANNULMENT_SUSPENSION, D(2026, 12, 15), True, False, D(2026, 12, 28)),  # Christmas (Fri)
        (legal.Appeal.EXTREME_URGENCY, D(2026, 10, 2), False, False, D(2026, 10, 12)),
        (legal.Appeal.EXTREME_URGENCY, D(2026, 10, 2), False, True, D(2026, 10, 7)),
        (legal.Appeal.EXTREME_URGENCY, D(2027, 3, 24), False, True, D(2027, 3, 30)),  # Easter Monday 2027
        (legal.Appeal.EXTREME_URGENCY, D(2026, 10, 31), False, True, D(2026, 11, 5)),
    ],
)
def test_appeal_deadline(appeal, notified_on, detained, second, expected):
    assert legal.appeal_deadline(appeal, notified_on=notified_on, detained=detained, second_removal_measure=second) == expected


def test_unknown_appeal_is_refused():
    with pytest.raises(ValueError):
        legal.appeal_window_days("cassation_appeal")


# --- detention: 2 months, extendable to 5, 8 for public order ------------------------------

@pytest.mark.parametrize(
    ("started_on", "extension", "last_day"),
    [
        (D(2026, 1, 10), legal.DetentionLimit.INITIAL, D(2026, 3, 9)),
        (D(2026, 1, 10), legal.DetentionLimit.EXTENDED, D(2026, 6, 9)),
        (D(2026, 1, 10), legal.DetentionLimit.PUBLIC_ORDER, D(2026, 9, 9)),
        ("2026-01-10", "none", D(2026, 3, 9)),
        # month ends: "from date to the day before the same date"; when that date does not
        # exist in the last month, the term ends on that month's last day.
        (D(2026, 12, 31), legal.DetentionLimit.INITIAL, D(2027, 2, 28)),
        (D(2026, 12, 30), legal.DetentionLimit.INITIAL, D(2027, 2, 28)),
        (D(2026, 12, 28), legal.DetentionLimit.INITIAL, D(2027, 2, 27)),
        (D(2027, 12, 31), legal.DetentionLimit.INITIAL, D(2028, 2, 29)),  # leap year
        (D(2027, 12, 29), legal.DetentionLimit.INITIAL, D(2028, 2, 28)),
        (D(2026, 12, 31), legal.DetentionLimit.EXTENDED, D(2027, 5, 30)),
        (D(2026, 12, 31), legal.DetentionLimit.PUBLIC_ORDER, D(2027, 8, 30)),
        (D(2026, 3, 31), legal.DetentionLimit.PUBLIC_ORDER, D(2026, 11, 30)),  # 31 Nov does not exist
        (D(2026, 3, 30), legal.DetentionLimit.PUBLIC_ORDER, D(2026, 11, 29)),
        (D(2026, 8, 31), legal.DetentionLimit.INITIAL, D(2026, 10, 30)),
        (D(2026, 6, 30), legal.DetentionLimit.PUBLIC_ORDER, D(2027, 2, 28)),
        (D(2026, 11, 1), legal.DetentionLimit.INITIAL, D(2026, 12, 31)),
    ],
)
def test_detention_limit(started_on, extension, last_day):
    if isinstance(started_on, str):
        started_on = dt.date.fromisoformat(started_on)
    assert legal.detention_limit(started_on=started_on, extension=extension) == last_day


# --- reintegration window and entry ban: both run from the actual departure ----------------

@pytest.mark.parametrize(
    ("departed_on", "end"),
    [
        (D(2026, 3, 10), D(2027, 3, 10)),
        (D(2026, 12, 31), D(2027, 12, 31)),
        (D(2028, 2, 29), D(2029, 2, 28)),
    ],
)
def test_reintegration_window_is_12_months_from_departure(departed_on, end):
    assert legal.reintegration_window_end(departed_on=departed_on) == end


@pytest.mark.parametrize(
    ("departed_on", "years", "end"),
    [
        (D(2026, 6, 15), 0, None),
        (D(2026, 6, 15), 3, D(2029, 6, 15)),  # up to 3 years
        (D(2026, 6, 15), 5, D(2031, 6, 15)),  # up to 5 for fraud
        (D(2026, 6, 15), 8, D(2034, 6, 15)),  # more for a serious threat
        (D(2028, 2, 29), 1, D(2029, 2, 28)),
    ],
)
def test_entry_ban_starts_at_departure(departed_on, years, end):
    assert legal.entry_ban_end(departed_on=departed_on, years=years) == end


# --- which procedures suspend removal by themselves (DESIGN §2, §6) -------------------------

@pytest.mark.parametrize(
    ("kind", "suspensive"),
    [
        ("asylum_appeal", True),  # full-jurisdiction appeal: always suspensive
        ("extreme_urgency_request", True),
        ("annulment_suspension_appeal", False),  # not suspensive by itself
        ("cassation_appeal", False),
        ("regularisation_9bis", False),  # no right to stay during the examination
        ("regularisation_9ter", False),  # only once declared admissible
        ("no_such_kind", False),
    ],
)
def test_suspensive_by_default(kind, suspensive):
    assert legal.is_suspensive_by_default(kind) is suspensive
