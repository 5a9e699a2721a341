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
