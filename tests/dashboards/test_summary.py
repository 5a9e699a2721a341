"""The dashboards from the tally and the due rows give every figure the live queries give.

The live path (``live=True``: the queries the dashboards ran before decision 065) is the
reference; a constructed data set covers every state and target group, deadlines and
conversations on both sides of "now", outcomes inside and outside the twelve months, proposals,
suspensive procedures, repeat orders, cases moved, reassigned, updated in bulk and deleted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import random
import statistics

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, F, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from cases.models import OPEN_STATES, Case, OrderToLeave, Person, State, TargetGroup
from counselling.dashboards import outcomes, quarters, tally
from counselling.dashboards.selectors import (
    Clock,
    DaysBetween,
    Quarter,
    national_dashboard,
    office_dashboard,
    office_dashboards,
)
from counselling.models import (
    CaseTally,
    Conversation,
    ConversationTally,
    OfficeConversationTally,
    OfficeTally,
    OutcomeTally,
    OutcomeWindow,
    PersonQuarter,
    QuarterTally,
)
from tests.factories import CaseFactory, ConversationFactory, OfficeFactory, OrderFactory, PersonFactory, staff

pytestmark = pytest.mark.postgres


def _build(office, other_office, counsellor, other_counsellor) -> None:
    now = timezone.now()
    today = timezone.localdate()
    offices = (office, other_office, None)
    counsellors = {office.pk: (counsellor, None), other_office.pk: (other_counsellor, None), None: (None,)}
    deadlines = (None, today - dt.timedelta(days=30), today, today + dt.timedelta(days=5), today + dt.timedelta(days=12),
                 today + dt.timedelta(days=40))
    nexts = (None, now - dt.timedelta(days=2), now + dt.timedelta(days=3))
    outcomes = (None, now - dt.timedelta(days=20), now - dt.timedelta(days=500))
    groups = list(TargetGroup.values)
    rnd = random.Random(15)
    people = [PersonFactory(nationality=("MA", "DE", "AF")[k % 3]) for k in range(7)]
    for n, (state, deadline, next_at, outcome) in enumerate(itertools.product(list(State.values), deadlines, nexts, outcomes)):
        where = rnd.choice(offices)
        who = counsellors[where.pk if where else None][n % len(counsellors[where.pk if where else None])]
        # Citizenships inside and outside the EU, none, and people with several cases.
        person = people[n % 7] if n % 5 == 1 and state not in OPEN_STATES else PersonFactory(nationality=("MA", "FR", "", "AF", "SY")[n % 5])
        returned = (outcome or now - dt.timedelta(days=n % 300)).date()
        case = CaseFactory(
            person=person, departed_on=returned if state == State.DEPARTED else None,
            removed_on=returned if state == State.REMOVED else None,
            state=state, office=where, counsellor=who, target_group=groups[n % len(groups)], departure_deadline=deadline,
            next_conversation_at=next_at, outcome_at=outcome,
            state_entered_at=now - dt.timedelta(days=(10, 400)[n % 2]),
            escalation_proposed_at=now if n % 5 == 0 else None, lose_contact_proposed_at=now if n % 7 == 0 else None,
            pending_suspensive_procedures=n % 2,
        )
        if n % 4:  # some cases have no order at all: no "days to outcome"
            first = today - dt.timedelta(days=60 + n % 90)
            OrderFactory(case=case, notified_on=first, issued_on=first - dt.timedelta(days=2))
            if n % 3 == 0:  # a repeat order, notified earlier than the first one recorded
                earlier = today - dt.timedelta(days=200 + n % 50)
                OrderFactory(case=case, notified_on=earlier, issued_on=earlier - dt.timedelta(days=2))
        if who is not None and n % 3 != 2:
            statuses = ("held", "no_show", "cancelled", "rescheduled", "held")
            for k in range(n % 4):
                ConversationFactory(case=case, status=statuses[(n + k) % 5], stance="considering",
                                    planned_at=now - dt.timedelta(weeks=(n + 5 * k) % 15, hours=n % 40, minutes=7 * n + k))
            if n % 5 == 0:
                ConversationFactory(case=case, planned_at=now + dt.timedelta(days=n % 6 - 2, minutes=7 * n + 5))
    # Changes after the fact, through every kind of write the triggers must follow.
    Conversation.objects.filter(status="planned", planned_at__lt=now).update(status="held", stance="considering")
    Conversation.objects.filter(pk__in=Conversation.objects.filter(status="no_show").values("pk")[:5]).update(
        planned_at=now - dt.timedelta(weeks=20))
    Conversation.objects.filter(pk__in=Conversation.objects.filter(status="cancelled").values("pk")[:3]).delete()
    moved = Case.objects.filter(office=office, conversations__isnull=False).distinct().order_by("pk")[:15]
    Case.objects.filter(pk__in=[c.pk for c in moved]).update(office=other_office, counsellor=other_counsellor)
    # Within the twelve weeks (decision 118: the office conversation tally follows them too):
    # conversations re-dated by a week and into this week, moved to a case of another office (and
    # of none), deleted; a case with conversations moved back, one to no office.
    recent = Conversation.objects.filter(planned_at__gte=now - dt.timedelta(weeks=10)).order_by("pk")
    Conversation.objects.filter(pk__in=recent.filter(status="held").values("pk")[:4]).update(planned_at=F("planned_at") - dt.timedelta(weeks=1))
    Conversation.objects.filter(pk__in=recent.filter(status="no_show").values("pk")[:2]).update(planned_at=now - dt.timedelta(hours=1))
    elsewhere = Case.objects.filter(office=other_office).order_by("pk").first()
    nowhere = Case.objects.filter(office__isnull=True).order_by("pk").first()
    Conversation.objects.filter(pk__in=recent.filter(case__office=office).values("pk")[:3]).update(case=elsewhere)
    Conversation.objects.filter(pk__in=recent.filter(case__office=other_office).values("pk")[:2]).update(case=nowhere)
    Conversation.objects.filter(pk__in=recent.filter(status="held").values("pk")[4:7]).delete()
    Case.objects.filter(pk=moved[0].pk).update(office=office)
    Case.objects.filter(pk=moved[1].pk).update(office=None, counsellor=None)
    Case.objects.filter(state=State.ORIENTATION, next_conversation_at__isnull=True).update(next_conversation_at=now + dt.timedelta(days=1))
    one = Case.objects.filter(state=State.REGISTERED).order_by("pk").first()
    one.pending_suspensive_procedures = 3
    one.save()
    Case.objects.filter(pk__in=Case.objects.filter(state=State.CLOSED, orders__isnull=True).order_by("-pk").values("pk")[:1]).delete()
    # The orders and people behind the national quarterly figures (decision 110): orders written
    # in bulk (one statement, several for one person, one earlier than the person's first), an
    # order re-dated, one deleted, one moved to another case, a case moved to another person (a
    # merge), citizenships changed, returns recorded and undone by bulk updates.
    some = list(Case.objects.order_by("pk")[:12])
    OrderToLeave.objects.bulk_create([
        OrderToLeave(case=case, external_reference=f"BULK-{k}", issued_on=today - dt.timedelta(days=400 + 30 * k),
                     notified_on=today - dt.timedelta(days=400 + 30 * k - 1 + k % 2), departure_term_days=30,
                     departure_deadline=today) for k, case in enumerate(some + some[:4])
    ])
    first = OrderToLeave.objects.order_by("pk").first()
    OrderToLeave.objects.filter(pk=first.pk).update(notified_on=today - dt.timedelta(days=3), issued_on=today - dt.timedelta(days=5))
    OrderToLeave.objects.filter(pk=OrderToLeave.objects.order_by("-pk").values("pk")[:1]).delete()
    OrderToLeave.objects.filter(pk=OrderToLeave.objects.order_by("pk").values("pk")[5:6]).update(case=some[11])
    ended = list(Case.objects.exclude(state__in=OPEN_STATES).filter(orders__isnull=False).distinct().order_by("pk")[:3])
    Case.objects.filter(pk__in=[ended[1].pk, ended[2].pk]).update(person=ended[0].person)
    Person.objects.filter(pk__in=[c.person_id for c in some[3:6]]).update(nationality="TR")
    Case.objects.filter(state=State.DEPARTED, pk__in=Case.objects.filter(state=State.DEPARTED).order_by("pk").values("pk")[:3]).update(
        departed_on=today)
    Case.objects.filter(state=State.REMOVED, pk__in=Case.objects.filter(state=State.REMOVED).order_by("pk").values("pk")[:2]).update(
        removed_on=None)


@pytest.fixture
def data(office, other_office, counsellor, other_counsellor):
    staff(username="idle.counsellor", office=office)  # a counsellor without cases still gets a row
    _build(office, other_office, counsellor, other_counsellor)


def _plain(value):
    return dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value


def test_the_tally_equals_a_recount(data):
    tallied = {
        tuple(row[k] for k in tally.KEY): row["total"]
        for row in CaseTally.objects.values(*tally.KEY).annotate(total=Sum("n"))
        if row["total"]
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + tally._KEY_OF_CASE + ", count(*) FROM cases_case GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9")
        recount = {tuple(row[:-1]): row[-1] for row in cursor.fetchall()}
    assert tallied == recount
    # The same deltas without the counsellor (decision 110), written by the same trigger.
    per_office: dict[tuple, int] = {}
    for key, n in recount.items():
        office_key = key[:1] + key[2:]
        per_office[office_key] = per_office.get(office_key, 0) + n
    offices = {
        tuple(row[k] for k in tally.OFFICE_KEY): row["total"]
        for row in OfficeTally.objects.values(*tally.OFFICE_KEY).annotate(total=Sum("n"))
        if row["total"]
    }
    assert offices == {k: n for k, n in per_office.items() if n}
    tally.compact()
    assert CaseTally.objects.count() == len(recount)
    assert not CaseTally.objects.filter(n=0).exists()
    assert OfficeTally.objects.count() == len(offices) and not OfficeTally.objects.filter(n=0).exists()


def test_the_conversation_tally_equals_a_recount(data, settings):
    tallied = {
        (row["office_id"], row["counsellor_id"], row["week"], row["status"]): row["total"]
        for row in ConversationTally.objects.values("office_id", "counsellor_id", "week", "status").annotate(total=Sum("n"))
        if row["total"]
    }
    with connection.cursor() as cursor:
        cursor.execute(tally.conversation_fill(settings.TIME_ZONE).split(";", 1)[1].split("SELECT", 1)[1].join(["SELECT", ""]))
        recount = {tuple(row[:-1]): row[-1] for row in cursor.fetchall()}
    assert recount and tallied == recount
    # The same deltas without the counsellor (decision 118), written by the same triggers.
    per_office: dict[tuple, int] = {}
    for (office_id, _counsellor_id, week, status), n in recount.items():
        per_office[(office_id, week, status)] = per_office.get((office_id, week, status), 0) + n
    per_office = {key: n for key, n in per_office.items() if n}

    def offices() -> dict:
        return {
            (row["office_id"], row["week"], row["status"]): row["total"]
            for row in OfficeConversationTally.objects.values("office_id", "week", "status").annotate(total=Sum("n"))
            if row["total"]
        }

    assert None in {office_id for office_id, _week, _status in per_office}  # conversations of cases without an office
    assert offices() == per_office
    assert OfficeConversationTally.objects.count() > len(per_office)  # deltas not folded yet
    tally.compact()
    assert offices() == per_office
    assert OfficeConversationTally.objects.count() == len(per_office) and not OfficeConversationTally.objects.filter(n=0).exists()


@pytest.mark.parametrize("compacted", [False, True])
def test_office_dashboards_equal_the_live_figures(data, office, other_office, compacted, django_assert_max_num_queries):
    if compacted:
        tally.compact()
    clock = Clock.start()
    for where in (office, other_office):
        live = office_dashboard(user=None, office=where, clock=clock, live=True)
        with django_assert_max_num_queries(9):
            summed = office_dashboard(user=None, office=where, clock=clock)
        assert live.totals.open > 0 and live.totals.deadline_passed > 0 and live.totals.median_days is not None
        assert live.totals.held_12_weeks > 0 and live.totals.no_show_12_weeks > 0
        assert _plain(summed.totals) == _plain(live.totals)
        assert [_plain(r) for r in summed.counsellors] == [_plain(r) for r in live.counsellors]
        assert [_plain(w) for w in summed.weeks] == [_plain(w) for w in live.weeks]


@pytest.mark.parametrize("compacted", [False, True])
def test_the_national_dashboard_equals_the_live_figures(data, compacted, django_assert_max_num_queries):
    if compacted:
        tally.compact()
    clock = Clock.start()
    live = national_dashboard(user=None, clock=clock, live=True)
    with django_assert_max_num_queries(18):
        summed = national_dashboard(user=None, clock=clock)
    figures = [f for _o, f in live.offices]
    for name in ("open", "no_planned", "overdue_outcome", "deadline_7", "deadline_14", "deadline_passed", "suspensive_review",
                 "escalation_proposed", "lose_contact_proposed", "departed", "removed", "legal_stay_granted", "closed", "untraceable"):
        assert sum(getattr(f, name) for f in figures) > 0, name  # the data set exercises every figure
    assert [(o.pk, o.name, _plain(f)) for o, f in summed.offices] == [(o.pk, o.name, _plain(f)) for o, f in live.offices]
    assert _plain(summed.totals) == _plain(live.totals)
    assert live.totals.median_days is not None
    assert [_plain(w) for w in summed.weeks] == [_plain(w) for w in live.weeks]
    assert sum(w.held for w in live.weeks) and sum(w.no_show for w in live.weeks) and sum(w.cancelled for w in live.weeks)
    assert live.weeks[-1].scheduled and live.totals.conversations_this_week
    # Every other figure of the page too: occupancy, the Eurostat rows, the repeat orders.
    assert [(r.facility.pk, r.occupied) for r in summed.facilities] == [(r.facility.pk, r.occupied) for r in live.facilities]
    assert summed.snapshot_days == live.snapshot_days
    assert _quarterly(summed) == _quarterly(live)


def _quarterly(found) -> tuple:
    return ([_plain(r) for r in found.citizenships], found.non_tcn_ordered, found.non_tcn_returned, _plain(found.repeat))


@pytest.mark.parametrize("compacted", [False, True])
def test_the_quarterly_national_figures_equal_the_live_figures(data, compacted, django_assert_max_num_queries):
    if compacted:
        tally.compact()
    clock = Clock.start()
    quarter = Quarter.containing(clock.today)
    seen = []
    for _n in range(8):
        live = national_dashboard(user=None, clock=clock, quarter=quarter, live=True)
        with django_assert_max_num_queries(18):
            summed = national_dashboard(user=None, clock=clock, quarter=quarter)
        assert _quarterly(summed) == _quarterly(live), quarter
        seen.append(live)
        quarter = quarter.previous()
    # The data set exercises every figure: people with and without a repeat order, repeat orders
    # in a quarter, citizens of the EU and of third countries, voluntary and enforced returns.
    assert seen[0].repeat.people_with_repeat > 0 and seen[0].repeat.people_with_orders > seen[0].repeat.people_with_repeat
    assert any(d.repeat.repeat_orders_in_period for d in seen) and any(d.non_tcn_ordered for d in seen)
    assert any(d.non_tcn_returned for d in seen)
    assert any(r.voluntary for d in seen for r in d.citizenships) and any(r.enforced for d in seen for r in d.citizenships)
    assert any(r.ordered for d in seen for r in d.citizenships)


def test_the_quarter_tally_equals_a_recount(data):
    def counted() -> tuple:
        people = sorted(PersonQuarter.objects.values_list(
            "person_id", "quarter", "nationality", "orders", "first", "repeat", "voluntary", "enforced"))
        sums = {
            (row["quarter"], row["nationality"]): tuple(row[k] for k in ("p", "o", "f", "r", "v", "e"))
            for row in QuarterTally.objects.values("quarter", "nationality").annotate(
                p=Sum("persons"), o=Sum("orders"), f=Sum("firsts"), r=Sum("repeaters"), v=Sum("voluntary"), e=Sum("enforced"))
            if any(row[k] for k in ("p", "o", "f", "r", "v", "e"))
        }
        return people, sums

    kept = counted()
    with connection.cursor() as cursor:
        cursor.execute(quarters.FILL)
    recount = counted()
    assert recount[0] and kept == recount
    tally.compact()
    assert counted() == recount and QuarterTally.objects.count() == len(recount[1])


def test_a_new_office_appears_with_its_first_case(data):
    new = OfficeFactory()
    CaseFactory(office=new, state=State.ORIENTATION)
    clock = Clock.start()
    assert _plain(office_dashboard(user=None, office=new, clock=clock).totals) == _plain(
        office_dashboard(user=None, office=new, clock=clock, live=True).totals
    )


def test_rebuilding_the_tallies_changes_no_figure(data, office):
    from django.core.management import call_command

    clock = Clock.start()

    def figures():
        found = national_dashboard(user=None, clock=clock)
        return ([(o.pk, _plain(f)) for o, f in found.offices], _plain(found.totals), [_plain(w) for w in found.weeks],
                _quarterly(found))

    before = figures()
    CaseTally.objects.all().delete()
    OfficeTally.objects.all().delete()
    ConversationTally.objects.all().delete()
    OfficeConversationTally.objects.all().delete()
    QuarterTally.objects.all().delete()
    assert figures() != before
    call_command("rebuild_dashboard_tallies")
    assert figures() == before


# --- the outcome tally (decision 114) -------------------------------------------------------------
def _outcome_recount(since: dt.date) -> dict:
    """Per (office, state, None) every outcome from ``since``, and the untraceable cases that went
    out of sight from ``since`` (decision 121: by ``state_entered_at``, whatever their
    ``outcome_at``); per (office, None, days) the outcomes of an ended case with a first notification."""
    recent = Case.objects.filter(outcome_at__gte=Clock.start().midnight(since)).order_by()
    counts = {
        (row["office_id"], row["state"], None): row["n"]
        for row in recent.exclude(state=State.UNTRACEABLE).values("office_id", "state").annotate(n=Count("id"))
    }
    untraceable = Case.objects.filter(state=State.UNTRACEABLE, state_entered_at__gte=Clock.start().midnight(since)).order_by()
    counts |= {(row["office_id"], State.UNTRACEABLE.value, None): row["n"]
               for row in untraceable.values("office_id").annotate(n=Count("id"))}
    ended = recent.filter(state__in=["departed", "removed", "legal_stay_granted", "closed"], first_notified_on__isnull=False)
    days = ended.annotate(days=DaysBetween(TruncDate("outcome_at"), "first_notified_on")).values("office_id", "days")
    return counts | {(row["office_id"], None, row["days"]): row["n"] for row in days.annotate(n=Count("id"))}


def _outcome_tallied() -> dict:
    """The tally's rows summed per key, a packed histogram (decision 121) counted day by day."""
    found: dict[tuple, int] = {}
    for office_id, state, days, n, histogram in OutcomeTally.objects.values_list("office_id", "state", "days", "n", "histogram"):
        for key, count in ([((office_id, state, days), n)] if histogram is None else
                           [((office_id, None, days + k), c) for k, c in enumerate(histogram)]):
            found[key] = found.get(key, 0) + count
    return {key: n for key, n in found.items() if n}


def _outcomes_folded(since: dt.date) -> None:
    """After the fold: one row per count key, and one packed histogram per office, without zeros at its ends."""
    recount = _outcome_recount(since)
    assert _outcome_tallied() == recount
    counted = OutcomeTally.objects.filter(state__isnull=False)
    assert counted.count() == len([key for key in recount if key[1] is not None]) and not counted.filter(n=0).exists()
    assert not OutcomeTally.objects.filter(state__isnull=True, histogram__isnull=True).exists()  # no delta left
    packed = list(OutcomeTally.objects.filter(histogram__isnull=False).values_list("office_id", "histogram"))
    assert sorted((o for o, _h in packed), key=str) == sorted({key[0] for key in recount if key[1] is None}, key=str)
    assert all(histogram[0] and histogram[-1] for _o, histogram in packed)


def _outcomes_equal_live(clock, offices) -> None:
    """The national page's and each office's outcome figures and medians against the live queries."""
    live = national_dashboard(user=None, clock=clock, live=True)
    summed = national_dashboard(user=None, clock=clock)
    assert [(o.pk, _plain(f)) for o, f in summed.offices] == [(o.pk, _plain(f)) for o, f in live.offices]
    assert _plain(summed.totals) == _plain(live.totals)
    pages = office_dashboards(offices=offices, clock=clock)
    for where in offices:
        one = office_dashboard(user=None, office=where, clock=clock, live=True)
        assert _plain(pages[where.pk].totals) == _plain(one.totals)
        assert [_plain(r) for r in pages[where.pk].counsellors] == [_plain(r) for r in one.counsellors]
        assert [_plain(w) for w in pages[where.pk].weeks] == [_plain(w) for w in one.weeks]


def _notify(case, notified: dt.date) -> None:
    """An order notified on ``notified`` (the factory keeps the case's first notification, as the service does)."""
    OrderFactory(case=case, notified_on=notified, issued_on=notified - dt.timedelta(days=2))


def _outcome_case(office, *, outcome: dt.datetime | None, state=State.CLOSED, notified: dt.date | None = None):
    case = CaseFactory(office=office, state=state, outcome_at=outcome)
    if notified is not None:
        _notify(case, notified)
    return case


def test_the_outcome_tally_follows_every_write(data, office, other_office):
    """Outcomes recorded, re-dated, cleared (a reopened case), moved to another office, a first
    notification changed, cases inserted and deleted: the tally equals a recount, and every
    outcome figure and median (national, per office) the live queries."""
    clock = Clock.start()
    since = OutcomeWindow.objects.get().since
    assert since == clock.since_12_months
    assert _outcome_tallied() == _outcome_recount(since) != {}
    now, today = clock.now, clock.today
    in_window = list(Case.objects.filter(outcome_at__gte=clock.midnight(since)).order_by("pk"))
    Case.objects.filter(pk=in_window[0].pk).update(outcome_at=None, state=State.ORIENTATION)  # reopened
    Case.objects.filter(pk=in_window[1].pk).update(outcome_at=now - dt.timedelta(days=400))  # out of the window
    Case.objects.filter(pk__in=Case.objects.filter(outcome_at__lt=clock.midnight(since)).order_by("pk").values("pk")[:2]).update(
        outcome_at=now - dt.timedelta(days=100))  # into it
    Case.objects.filter(pk__in=[c.pk for c in in_window[2:6]]).update(office=other_office)  # moved
    _notify(in_window[6], today - dt.timedelta(days=700))  # an earlier first notification
    Case.objects.filter(pk=in_window[7].pk).update(state=State.DEPARTED)
    # Untraceable (decision 121): cases going out of sight, found again, re-dated out of and into
    # the twelve months, moved to another office, inserted and deleted.
    gone_out = list(Case.objects.filter(state=State.UNTRACEABLE, state_entered_at__gte=clock.midnight(since)).order_by("pk"))
    older = list(Case.objects.filter(state=State.UNTRACEABLE, state_entered_at__lt=clock.midnight(since)).order_by("pk"))
    assert len(gone_out) >= 4 and len(older) >= 2
    Case.objects.filter(pk=gone_out[0].pk).update(state=State.ORIENTATION)  # contact re-established
    Case.objects.filter(pk=gone_out[1].pk).update(state_entered_at=now - dt.timedelta(days=380))  # out of the window
    Case.objects.filter(pk__in=[c.pk for c in older[:2]]).update(state_entered_at=now - dt.timedelta(days=30))  # into it
    Case.objects.filter(pk=gone_out[2].pk).update(office=other_office if gone_out[2].office_id == office.pk else office)
    Case.objects.filter(pk__in=Case.objects.filter(state=State.ORIENTATION, office=office).order_by("pk").values("pk")[:2]).update(
        state=State.UNTRACEABLE, state_entered_at=now)  # contact lost
    CaseFactory(office=office, state=State.UNTRACEABLE, state_entered_at=now - dt.timedelta(days=50))
    lost = CaseFactory(office=other_office, state=State.UNTRACEABLE, state_entered_at=now - dt.timedelta(days=60))
    for k in range(5):
        _outcome_case(office, outcome=now - dt.timedelta(days=3 * k + 1), notified=today - dt.timedelta(days=40 + k))
    _outcome_case(office, outcome=now - dt.timedelta(days=2), notified=None)  # no order: counted, no median
    gone = _outcome_case(other_office, outcome=now - dt.timedelta(days=5))  # no order: a case that may be deleted
    assert _outcome_tallied() == _outcome_recount(since)
    _outcomes_equal_live(clock, [office, other_office])
    gone.delete()
    lost.delete()
    # One more ended case: the other parity of the office's count (median of one middle value, or two).
    _outcome_case(office, outcome=now - dt.timedelta(days=9), state=State.REMOVED, notified=today - dt.timedelta(days=31))
    assert _outcome_tallied() == _outcome_recount(since)
    _outcomes_equal_live(clock, [office, other_office])
    tally.compact()
    _outcomes_folded(since)
    _outcomes_equal_live(clock, [office, other_office])
    # Packed histograms and the deltas written since (decision 121), folded again.
    _outcome_case(office, outcome=now - dt.timedelta(days=4), notified=today - dt.timedelta(days=900))  # a new first day
    _outcome_case(other_office, outcome=now - dt.timedelta(days=6), state=State.DEPARTED, notified=today - dt.timedelta(days=8))
    Case.objects.filter(pk=in_window[8].pk).update(outcome_at=now - dt.timedelta(days=300))  # re-dated: another day
    CaseFactory(office=other_office, state=State.UNTRACEABLE, state_entered_at=now - dt.timedelta(days=2))
    assert _outcome_tallied() == _outcome_recount(since)
    _outcomes_equal_live(clock, [office, other_office])
    tally.compact()
    _outcomes_folded(since)
    _outcomes_equal_live(clock, [office, other_office])
    # Unpacked again (counselling 0021's reverse): the same rows for the earlier readers.
    with connection.cursor() as cursor:
        cursor.execute(outcomes.UNPACK)
    assert _outcome_tallied() == _outcome_recount(since) and not OutcomeTally.objects.filter(histogram__isnull=False).exists()
    _outcomes_equal_live(clock, [office, other_office])


@pytest.mark.parametrize("packed", [False, True])
@pytest.mark.parametrize("shift", [-40, -1, 1, 40])
def test_outcome_figures_are_exact_whatever_the_window_lags(data, office, other_office, shift, packed):
    """The tally counted from a day before or after the clock's twelve months (the fold has not
    moved it yet, or a clock in the past): the rows in between are added or removed, the figures
    stay the live ones; then the slide moves the window and subtracts the days left behind."""
    clock = Clock.start()
    start, now = clock.since_12_months, clock.now
    for k, days in enumerate((-45, -20, -2, -1, 0, 1, 2, 30, 44)):  # outcomes on both sides of the window's first day
        when = clock.midnight(start + dt.timedelta(days=days)) + dt.timedelta(hours=k % 3 * 11)
        _outcome_case((office, other_office)[k % 2], outcome=when, state=(State.CLOSED, State.DEPARTED)[k % 2],
                      notified=start - dt.timedelta(days=100 + 7 * k))
    _outcome_case(office, outcome=now + dt.timedelta(days=2), notified=clock.today)  # a future outcome: not in the window
    for k, days in enumerate((-45, -1, 0, 1, 44)):  # untraceable since either side of the window's first day
        CaseFactory(office=(office, other_office)[k % 2], state=State.UNTRACEABLE,
                    state_entered_at=clock.midnight(start + dt.timedelta(days=days)) + dt.timedelta(hours=k % 3 * 11))
    CaseFactory(office=office, state=State.UNTRACEABLE, state_entered_at=now + dt.timedelta(days=2))  # in the future
    with connection.cursor() as cursor:
        outcomes.fill(cursor, settings.TIME_ZONE, since=start + dt.timedelta(days=shift))
        if packed:
            cursor.execute(outcomes.COMPACT)
    assert _outcome_tallied() == _outcome_recount(start + dt.timedelta(days=shift))
    _outcomes_equal_live(clock, [office, other_office])
    _outcome_case(office, outcome=now - dt.timedelta(days=1), notified=clock.today - dt.timedelta(days=10))  # kept by the trigger
    _outcomes_equal_live(clock, [office, other_office])
    assert outcomes.slide() == (shift < 0)
    assert OutcomeWindow.objects.get().since == (start if shift < 0 else start + dt.timedelta(days=shift))
    assert _outcome_tallied() == _outcome_recount(OutcomeWindow.objects.get().since)
    _outcomes_equal_live(clock, [office, other_office])


def test_without_a_window_the_outcomes_are_read_from_the_cases(data, office, other_office):
    clock = Clock.start()
    OutcomeWindow.objects.all().delete()
    _outcome_case(office, outcome=clock.now - dt.timedelta(days=3), notified=clock.today - dt.timedelta(days=20))
    _outcomes_equal_live(clock, [office, other_office])
    call_command("rebuild_dashboard_tallies")
    assert OutcomeWindow.objects.get().since == clock.since_12_months
    _outcomes_folded(clock.since_12_months)  # recounted and packed (decision 121)
    _outcomes_equal_live(clock, [office, other_office])


def test_the_office_pages_of_the_warm_cycle_take_a_few_queries(data, office, other_office, django_assert_max_num_queries):
    clock = Clock.start()
    many = [OfficeFactory() for _n in range(4)]
    for extra in many:
        CaseFactory(office=extra, state=State.ORIENTATION)
    with django_assert_max_num_queries(9):
        pages = office_dashboards(offices=[office, other_office, *many], clock=clock)
    for where in (office, other_office, *many):
        one = office_dashboard(user=None, office=where, clock=clock, live=True)
        assert _plain(pages[where.pk].totals) == _plain(one.totals)
        assert [_plain(r) for r in pages[where.pk].counsellors] == [_plain(r) for r in one.counsellors]


def test_the_median_of_a_histogram_is_percentile_cont():
    rnd = random.Random(114)
    for size in range(1, 40):
        values = [rnd.randrange(-5, 30) for _n in range(size)]
        histogram: dict[int, int] = {}
        for value in values:
            histogram[value] = histogram.get(value, 0) + 1
        assert outcomes.median(histogram) == float(statistics.median(values))
    assert outcomes.median({}) is None and outcomes.median({3: 0}) is None


def test_without_the_outcome_tally_untraceable_is_counted_from_its_rows(data, office, other_office, monkeypatch):
    """An outcome figure the tally cannot count sends the page back to the rows (decision 114);
    untraceable, not dated by an outcome, is then counted with the due rows (decision 121)."""
    from counselling.dashboards import summary

    monkeypatch.setattr(summary, "_tallied_outcomes", lambda outcomes, clock: None)
    clock = Clock.start()
    CaseFactory(office=office, state=State.UNTRACEABLE, state_entered_at=clock.now - dt.timedelta(days=3))
    assert national_dashboard(user=None, clock=clock, live=True).totals.untraceable > 0
    _outcomes_equal_live(clock, [office, other_office])
