"""Field-level history (decision 023): every save of person, case, procedure, placement and
conversation leaves a row; managers and the admin see the changes field by field."""

import pytest
from django.urls import reverse

from cases import services
from cases.models import Case, Person
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_a_service_change_is_kept_field_by_field_with_who(case, manager, client):
    services.update_address(actor=manager, case_id=case.pk, street="Rue Neuve 1", postcode="1000", municipality="Bruxelles")
    assert Person.history.filter(id=case.person_id, street="Rue Neuve 1").exists()
    case.person.refresh_from_db()
    case.person.phone = "+32 470 00 00 01"
    case.person.save()
    record = Person.history.filter(id=case.person_id).order_by("-history_date").first()
    assert record.phone == "+32 470 00 00 01"
    f.ConversationFactory(case=case, office=case.office, counsellor=case.counsellor, notes="first")
    conversation = case.conversations.get()
    conversation.notes = "corrected"
    conversation.save()
    assert [r.notes for r in conversation.history.order_by("history_date")] == ["first", "corrected"]
    client.force_login(manager)
    page = client.get(reverse("cases:history", args=[case.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "corrected" in html and "+32 470 00 00 01" in html


def test_counting_with_f_expressions_is_recorded_as_the_value(case):
    from django.db.models import F

    case.held_conversations = F("held_conversations") + 1
    case.save(update_fields=["held_conversations"])
    assert Case.history.filter(id=case.pk).order_by("-history_date").first().held_conversations == 1


def test_history_page_is_for_managers_and_the_admin_shows_it(case, counsellor, client):
    client.force_login(counsellor)
    assert client.get(reverse("cases:history", args=[case.pk])).status_code == 403
    admin = f.UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert client.get(reverse("admin:cases_case_history", args=[case.pk])).status_code == 200
    assert client.get(reverse("admin:cases_person_history", args=[case.person_id])).status_code == 200
