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

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from cases.models import OPEN_STATES, Case, OrderToLeave, Person, State, TargetGroup
from counselling.dashboards import quarters, tally
from counselling.dashboards.selectors import Clock, Quarter, national_dashboard, office_dashboard
from counselling.models import CaseTally, Conversation, ConversationTally, OfficeTally, PersonQuarter, QuarterTally
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


def test_the_national_dashboard_equals_the_live_figures(data, django_assert_max_num_queries):
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
    QuarterTally.objects.all().delete()
    assert figures() != before
    call_command("rebuild_dashboard_tallies")
    assert figures() == before
