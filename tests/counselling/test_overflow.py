"""Full agendas are never silent (issue 13, item 7)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from counselling import overflow, sweeps
from counselling.models import Conversation
from offices.models import StaffProfile
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_office(office, counsellor):
    """The case's office: open, but its only counsellor has no room left (0 conversations a day)."""
    office.latitude, office.longitude = 50.846, 4.352
    office.save()
    StaffProfile.objects.filter(user=counsellor).update(conversations_per_day=0)
    return office


def neighbour(code: str, *, province: str, lat: float, lon: float, languages: list[str], staff_languages=("nl",)):
    office = f.OfficeFactory(code=code, name=code, province=province, latitude=lat, longitude=lon, languages=languages)
    f.add_weekday_hours(office)
    counsellor = f.staff(username=f"c-{code}", office=office, languages=staff_languages)
    return office, counsellor


def test_a_full_office_offers_the_case_to_the_nearest_office_of_its_region_speaking_the_language(full_office, case):
    case.person.languages = ["fr"]
    case.person.save()
    far, _ = neighbour("BXL-FAR", province="brussels", lat=50.90, lon=4.45, languages=["fr"])
    near, near_counsellor = neighbour("BXL-NEAR", province="brussels", lat=50.85, lon=4.36, languages=["fr"], staff_languages=("fr",))
    neighbour("BXL-NL", province="brussels", lat=50.847, lon=4.353, languages=["nl"])  # nearest, but no French
    neighbour("LEU-1", province="flemish_brabant", lat=50.848, lon=4.354, languages=["fr"])  # another region
    counts = sweeps.plan_missing_conversations()
    assert counts["planned"] == 1 and counts["unplannable"] == 0
    conversation = Conversation.objects.get(case=case, status="planned")
    assert conversation.office == near and conversation.counsellor == near_counsellor
    assert conversation.interpreter_language == ""
    case.refresh_from_db()
    assert case.office == full_office  # the case stays with its office
    assert far.pk != near.pk


def test_what_no_office_can_hold_is_a_figure_with_each_offices_earliest_free_slot(full_office, case, client, manager):
    assert sweeps.plan_missing_conversations()["unplannable"] == 1
    assert overflow.unplannable_by_office() == {full_office.pk: 1}
    assert overflow.earliest_free_slot(full_office) is None
    client.force_login(manager)
    page = client.get(reverse("operations:index"))
    rows = {office.pk: (count, slot) for office, count, slot in page.context["capacity"]}
    assert rows[full_office.pk] == (1, None)
    assert "no free slot" in page.content.decode()
    dashboard = client.get(reverse("dashboards:office"))
    assert dashboard.context["unplannable"] == 1 and dashboard.context["earliest_free_slot"] is None


def test_an_office_with_room_shows_its_earliest_free_slot(office, counsellor):
    slot = overflow.earliest_free_slot(office)
    assert slot is not None and slot.weekday() < 5


def _earliest_from_the_whole_agenda(office, now):
    """The reference: every conversation of the horizon booked in memory, as before decision 110."""
    import datetime as dt

    from django.utils import timezone

    from counselling.scheduling import HORIZON_DAYS, Agenda, OfficeHours, find_slot, min_lead

    counsellors = overflow._counsellors_by_office([office.pk]).get(office.pk, [])
    today = timezone.localdate(now)
    agenda = Agenda.load([c for c, _p, _l in counsellors], today - dt.timedelta(days=1), today + dt.timedelta(days=HORIZON_DAYS + 1))
    starts = [
        find_slot(agenda=agenda, hours=OfficeHours([office.pk]), office_id=office.pk, counsellor_id=c, per_day=p, minutes=60,
                  earliest=now + min_lead(), first_day=today)
        for c, p, _l in counsellors
    ]
    return min((s for s in starts if s is not None), default=None)


def test_the_earliest_free_slots_of_all_offices_at_once_equal_each_offices_whole_agenda():
    """Full days read from counts, partial days (and the day before each free day, for a late
    conversation running past midnight) from their conversations: the same slot as the agenda."""
    import datetime as dt

    from django.utils import timezone

    from counselling.scheduling import local_datetime

    now = timezone.now()
    today = timezone.localdate(now)
    offices = []
    for k, per_day in enumerate((1, 2, 3)):
        office, counsellor = neighbour(f"CAP-{k}", province="brussels", lat=50.8 + k / 100, lon=4.3, languages=["fr"])
        StaffProfile.objects.filter(user=counsellor).update(conversations_per_day=per_day)
        offices.append(office)
        for day in range(0, 12 + 4 * k):  # full days first, then a partial day, then free ones
            when = today + dt.timedelta(days=day)
            for n in range(per_day if day < 10 + 4 * k else 1):
                case = f.CaseFactory(office=office, counsellor=counsellor)
                f.ConversationFactory(case=case, counsellor=counsellor, office=office,
                                      planned_at=local_datetime(when, dt.time(9 + 2 * n, 0)))
        # A late conversation the evening before the first free day, running past midnight.
        late = today + dt.timedelta(days=11 + 4 * k)
        f.ConversationFactory(case=f.CaseFactory(office=office, counsellor=counsellor), counsellor=counsellor, office=office,
                              planned_at=local_datetime(late, dt.time(23, 30)), duration_minutes=600)
    found = overflow.earliest_free_slots(offices, now=now)
    assert found == {office.pk: _earliest_from_the_whole_agenda(office, now) for office in offices}
    assert all(slot is not None and slot.date() > today + dt.timedelta(days=9) for slot in found.values())


@pytest.mark.postgres  # the rounds are PostgreSQL's (_DayCounts); elsewhere the whole agenda as rows
def test_days_not_full_without_a_free_time_are_searched_past_in_rounds(monkeypatch):
    """Decision 114: the conversations of a day are loaded only when the search reaches it. Days
    not full by count but without a free hour (one long conversation each), more of them than
    one round loads, then a free day: the same slot as the whole agenda, and never a day after it read."""
    import datetime as dt

    from django.utils import timezone

    from counselling.scheduling import local_datetime

    now = timezone.now()
    today = timezone.localdate(now)
    office, counsellor = neighbour("CAP-R", province="brussels", lat=50.9, lon=4.3, languages=["fr"])
    StaffProfile.objects.filter(user=counsellor).update(conversations_per_day=3)
    blocked = 3 * (overflow._DayCounts.AHEAD + 1)
    for day in range(0, blocked + 6):
        when = today + dt.timedelta(days=day)
        length = 24 * 60 if day < blocked else 30  # a whole day taken, then short conversations
        f.ConversationFactory(case=f.CaseFactory(office=office, counsellor=counsellor), counsellor=counsellor, office=office,
                              planned_at=local_datetime(when, dt.time(0, 0)), duration_minutes=length)
    loaded = []
    load = overflow._DayCounts.load_days

    def spy(agenda, days):
        loaded.append(set(days))
        return load(agenda, days)

    monkeypatch.setattr(overflow._DayCounts, "load_days", spy)
    found = overflow.earliest_free_slots([office], now=now)
    assert found == {office.pk: _earliest_from_the_whole_agenda(office, now)}
    assert found[office.pk] is not None and found[office.pk].date() >= today + dt.timedelta(days=blocked)
    assert len([days for days in loaded if days]) >= 3  # several rounds
    read = set().union(*loaded)
    assert max(day for _c, day in read) <= timezone.localdate(found[office.pk]) + dt.timedelta(days=2 * overflow._DayCounts.AHEAD + 2)


def test_an_office_without_a_slot_is_not_searched_again_in_the_same_batch(monkeypatch):
    """The batch's agenda only gains bookings: an office none of whose counsellors had a slot from a
    day, for some length, has none from that day for as long or longer either (a backlog of stuck
    cases searched every office of the region once per case). A shorter conversation, or another
    first day (its own horizon), is searched again; a slot found remembers nothing."""
    import datetime as dt
    from types import SimpleNamespace

    from django.utils import timezone

    searched: list[tuple[int, int, dt.date]] = []
    found: dict[tuple[int, int], dt.datetime] = {}

    def fake_find_slot(*, agenda, hours, office_id, counsellor_id, per_day, minutes, earliest, first_day):
        searched.append((counsellor_id, minutes, first_day))
        return found.get((counsellor_id, minutes))

    monkeypatch.setattr(overflow, "find_slot", fake_find_slot)
    planner = overflow.Overflow(now=timezone.now(), agenda=SimpleNamespace())
    office = SimpleNamespace(pk=7)
    planner._counsellors = {7: [(1, 6, ["fr"]), (2, 6, ["nl"])]}
    planner._hours = SimpleNamespace()
    monkeypatch.setattr(planner, "candidates", lambda case: [office])
    case = SimpleNamespace(person=SimpleNamespace(languages=["fr"]))
    today = timezone.localdate()

    def calls(minutes: int, first_day: dt.date) -> int:
        before = len(searched)
        assert planner.find_slot(case, minutes=minutes, first_day=first_day) is None
        return len(searched) - before

    assert calls(60, today) == 2  # both counsellors, nothing
    assert calls(60, today) == 0  # the same search: skipped
    assert calls(90, today) == 0  # longer: skipped
    assert calls(30, today) == 2  # shorter: might fit
    assert calls(60, today + dt.timedelta(days=1)) == 2  # another day, another horizon
    found[(1, 45)] = timezone.now() + dt.timedelta(days=3)
    assert planner.find_slot(case, minutes=45, first_day=today + dt.timedelta(days=2)) is not None
    assert planner.find_slot(case, minutes=45, first_day=today + dt.timedelta(days=2)) is not None  # nothing remembered
