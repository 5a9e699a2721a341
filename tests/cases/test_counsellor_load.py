"""Counsellor load counters (decision 060): after every kind of change the counter of every
counsellor equals the real number of open cases they follow, and choosing reads the counters."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import services
from cases.api.models import ApiClient
from cases.models import Case, CounsellorLoad, PossibleDuplicate, State
from cases.services.duplicates import merge_possible_duplicate
from cases.services.load import actual_loads, load_mismatches
from cases.services.staffing import lightest_counsellor
from returnpath.actors import SYSTEM
from tests import factories as f
from tests.cases.test_race import at_the_same_moment, delay

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)


def order(ref: str, *, postcode: str = "1000", family_name: str = "Loadperson") -> services.OrderData:
    who = services.PersonData(family_name=family_name, given_names="Ana", birth_date=dt.date(1990, 1, 2), sex="F",
                              nationality="MA", postcode=postcode, municipality="X", languages=("fr",))
    return services.OrderData(external_reference=ref, issued_on=TODAY - 3 * DAY, notified_on=TODAY - 2 * DAY,
                              departure_term_days=30, person=who)


def loads() -> dict[int, int]:
    return {pk: n for pk, n in CounsellorLoad.objects.values_list("counsellor_id", "open_cases") if n}


@pytest.fixture
def team(office, other_office, counsellor, manager, coordinator):
    second = f.staff(username="counsellor.second", office=office)
    f.staff(username="counsellor.antwerp", office=other_office)
    f.staff(username="manager.antwerp", office=other_office, role="manager")
    return {"office": office, "other_office": other_office, "counsellor": counsellor, "second": second,
            "manager": manager, "coordinator": coordinator}


def _new_order(t):
    services.open_case_from_order(actor=SYSTEM, data=order("L-1"))


def _repeat_order_moves_the_case(t):
    case = services.open_case_from_order(actor=SYSTEM, data=order("L-1")).case
    t["snap"]()
    services.open_case_from_order(actor=SYSTEM, data=order("L-2", postcode="2000"))
    assert Case.objects.get(pk=case.pk).office == t["other_office"]


def _reassign(t):
    case = services.open_case_from_order(actor=SYSTEM, data=order("L-1")).case
    other = t["second"] if case.counsellor_id == t["counsellor"].pk else t["counsellor"]
    t["snap"]()
    services.reassign_case(actor=t["manager"], case_id=case.pk, office_id=t["office"].pk, counsellor_id=other.pk)


def _reassign_to_the_lightest(t):
    case = services.open_case_from_order(actor=SYSTEM, data=order("L-1")).case
    services.reassign_case(actor=t["manager"], case_id=case.pk, office_id=t["office"].pk, counsellor_id=None)


def _close(t):
    case = services.open_case_from_order(actor=SYSTEM, data=order("L-1")).case
    t["snap"]()
    services.close_case(actor=t["manager"], case_id=case.pk, reason="deceased", note="Died.")


def _lose_and_re_establish_contact(t):
    case = services.open_case_from_order(actor=SYSTEM, data=order("L-1")).case
    services.update_address(actor=t["manager"], case_id=case.pk, street="Rue 1", postcode="1000", municipality="B", invalid=True)
    t["snap"]()
    assert services.lose_contact(actor=t["manager"], case_id=case.pk).state == State.UNTRACEABLE
    services.update_address(actor=t["manager"], case_id=case.pk, street="Rue 2", postcode="1000", municipality="B")
    assert services.re_establish_contact(actor=t["manager"], case_id=case.pk).state == State.ORIENTATION


def _grant_legal_stay_by_the_system(t):
    case = f.CaseFactory(office=t["office"], counsellor=t["second"], state="legal_stay_review", granted_routes_to_stay=1)
    t["snap"]()
    services.grant_legal_stay(actor=SYSTEM, case_id=case.pk)


def _merge_a_possible_duplicate(t):
    first = ApiClient.objects.create(name="one", user=f.UserFactory(username="client.one"), scopes=["orders:write"])
    second = ApiClient.objects.create(name="two", user=f.UserFactory(username="client.two"), scopes=["orders:write"])
    services.open_case_from_order(actor=SYSTEM, data=order("L-1"), client=first)
    services.open_case_from_order(actor=SYSTEM, data=order("L-2"), client=second)
    review = PossibleDuplicate.objects.get()
    t["snap"]()
    merge_possible_duplicate(actor=t["coordinator"], duplicate_id=review.pk, note="Same passport.")
    assert Case.objects.filter(state=State.CLOSED).count() == 1


def _factory_cases(t):
    for state in ("orientation", "voluntary_return", "closed", "departed"):
        f.CaseFactory(office=t["office"], counsellor=t["counsellor"], state=state)


CHANGES = [_new_order, _repeat_order_moves_the_case, _reassign, _reassign_to_the_lightest, _close,
           _lose_and_re_establish_contact, _grant_legal_stay_by_the_system, _merge_a_possible_duplicate, _factory_cases]


@pytest.mark.django_db
@pytest.mark.parametrize("change", CHANGES, ids=[c.__name__.strip("_") for c in CHANGES])
def test_the_counter_equals_the_real_count_after_each_kind_of_change(team, change):
    f.CaseFactory(office=team["office"], counsellor=team["counsellor"], state="orientation")  # some load to start from
    snapshots = [loads()]
    team["snap"] = lambda: snapshots.append(loads())  # just before the change's last step
    change(team)
    assert load_mismatches() == {}
    assert loads() == actual_loads()
    if change is _lose_and_re_establish_contact:  # untraceable is open: the counter stays, rightly
        assert loads() == snapshots[-1]
    else:  # every other change here moves some counter: the check cannot pass by doing nothing
        assert loads() != snapshots[-1]


@pytest.mark.django_db
def test_choosing_reads_the_counters_not_the_cases(team):
    busy = team["counsellor"]
    for _ in range(3):
        f.CaseFactory(office=team["office"], counsellor=busy, state="orientation")
    with CaptureQueriesContext(connection) as captured:
        chosen = lightest_counsellor(office=team["office"], languages=("fr",))
    assert chosen == team["second"]
    assert len(captured) == 1 and "cases_case" not in captured[0]["sql"]
    # The counter decides, whatever the cases say: a (wrong) counter is believed.
    CounsellorLoad.objects.filter(counsellor=busy).update(open_cases=0)
    assert lightest_counsellor(office=team["office"], languages=("fr",)) == busy


@pytest.mark.django_db
def test_the_check_command_finds_and_fixes_wrong_counters(team):
    f.CaseFactory(office=team["office"], counsellor=team["counsellor"], state="orientation")
    call_command("check_counsellor_load", stdout=StringIO())
    CounsellorLoad.objects.filter(counsellor=team["counsellor"]).update(open_cases=7)
    CounsellorLoad.objects.create(counsellor=team["second"], open_cases=2)
    with pytest.raises(CommandError, match="2 counters differ"):
        call_command("check_counsellor_load", stdout=StringIO())
    out = StringIO()
    call_command("check_counsellor_load", "--fix", stdout=out)
    assert "2 counters corrected" in out.getvalue()
    assert load_mismatches() == {} and loads() == {team["counsellor"].pk: 1}


def _two_orders_at_once(monkeypatch, prefix: str) -> list:
    """Two new people's orders at the same moment, each holding its transaction a moment after
    choosing, so the two surely overlap: the outcomes, each ("won", its case) when it went through."""
    from cases.services import orders as order_services

    delay(monkeypatch, order_services, "write_new_case", 0.3)
    monkeypatch.setattr("counselling.tasks.enqueue", lambda task, **kwargs: None)
    return at_the_same_moment(
        lambda: services.open_case_from_order(actor=SYSTEM, data=order(f"{prefix}-1", family_name="Alpha")).case,
        lambda: services.open_case_from_order(actor=SYSTEM, data=order(f"{prefix}-2", family_name="Beta")).case,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_orders_of_one_office_spread_over_its_team(team, monkeypatch):
    """Decision 122: a counsellor being given a case right now is passed over (SKIP LOCKED), so two
    orders at the same moment do not both go to the one who was lightest before either."""
    outcomes = _two_orders_at_once(monkeypatch, "C")
    assert [kind for kind, _value in outcomes] == ["won", "won"], outcomes
    chosen = {case.counsellor_id for _kind, case in outcomes}
    assert chosen == {team["counsellor"].pk, team["second"].pk}
    assert load_mismatches() == {}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_busy_counsellor_who_speaks_the_language_comes_before_a_free_one_who_does_not(office, monkeypatch):
    """The language first: two French-speaking people at the same moment both get the one French
    speaker of the office, though a Dutch speaker was free (decision 122)."""
    speaker = f.staff(username="counsellor.fr", office=office, languages=("fr",))
    f.staff(username="counsellor.nl", office=office, languages=("nl",))
    outcomes = _two_orders_at_once(monkeypatch, "F")
    assert [case.counsellor_id for _kind, case in outcomes] == [speaker.pk, speaker.pk], outcomes
    assert loads() == {speaker.pk: 2} == actual_loads()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_orders_share_the_only_counsellor(office, counsellor, monkeypatch):
    """When every candidate is busy, the lightest of them all: nobody is left without a counsellor."""
    outcomes = _two_orders_at_once(monkeypatch, "S")
    assert [case.counsellor_id for _kind, case in outcomes] == [counsellor.pk, counsellor.pk], outcomes
    assert loads() == {counsellor.pk: 2} == actual_loads()


@pytest.mark.django_db(transaction=True)
def test_the_choice_outside_a_transaction_locks_nothing(team):
    """Autocommit (a shell, a check): the plain choice; a FOR UPDATE there would be refused."""
    assert not connection.in_atomic_block
    with CaptureQueriesContext(connection) as captured:
        chosen = lightest_counsellor(office=team["office"], languages=("fr",))
    assert chosen in (team["counsellor"], team["second"])
    assert len(captured) == 1 and "SKIP LOCKED" not in captured[0]["sql"]
