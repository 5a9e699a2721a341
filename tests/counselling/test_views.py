"""My day and the conversation pages (Django test client)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, State
from counselling.models import Conversation
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(client, counsellor):
    client.force_login(counsellor)
    return client


def local(days: int = 0, hour: int = 10) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def test_my_day_lists_agenda_overdue_and_attention(web, office, counsellor):
    today_case = f.CaseFactory(office=office, counsellor=counsellor, person=f.PersonFactory(family_name="Today", languages=["ti"]))
    f.ConversationFactory(case=today_case, planned_at=local(0, 23) if timezone.localtime().hour < 23 else timezone.now() + dt.timedelta(minutes=5),
                          interpreter_language="ti")
    late_case = f.CaseFactory(office=office, counsellor=counsellor, person=f.PersonFactory(family_name="Forgotten"))
    f.ConversationFactory(case=late_case, planned_at=local(-3))
    urgent = f.CaseFactory(office=office, counsellor=counsellor, departure_deadline=timezone.localdate() + dt.timedelta(days=2),
                           person=f.PersonFactory(family_name="Hurry"))
    html = web.get(reverse("counselling:my_day")).content.decode()
    today_part, _, rest = html.partition("Outcome still to log")
    assert "TODAY" in today_part and "Interpreter" in today_part
    assert "FORGOTTEN" in rest
    assert "HURRY" in rest and "Departure deadline within a week" in rest and "No conversation planned" in rest
    assert f"#{urgent.pk}" in rest


def test_my_day_query_count_is_constant(web, office, counsellor):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert web.get(reverse("counselling:my_day")).status_code == 200
        return len(queries)

    def add(n: int, start: int = 0) -> None:
        for i in range(start, start + n):
            case = f.CaseFactory(office=office, counsellor=counsellor, departure_deadline=timezone.localdate() + dt.timedelta(days=3))
            f.ConversationFactory(case=case, planned_at=local(-1 - i))

    add(2)
    web.get(reverse("counselling:my_day"))  # the first page after signing in touches the session (decision 071)
    small = count()
    add(15, start=2)
    assert count() == small


def test_log_held_conversation_and_plan_the_proposed_next_one(web, office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor)
    conversation = f.ConversationFactory(case=case, planned_at=timezone.now() - dt.timedelta(minutes=30))
    url = reverse("counselling:log", args=[case.pk, conversation.pk])
    page = web.get(url)
    assert page.status_code == 200
    proposed = page.context["form"].initial["next_planned_at"]
    # The intake being logged as held, the next one follows the playbook's cadence (14 days for an
    # individual, sooner in the deadline's last week), whatever the hour the page is opened at.
    aware = proposed if timezone.is_aware(proposed) else timezone.make_aware(proposed)
    assert aware > timezone.now() + dt.timedelta(days=3)
    response = web.post(url, {
        "outcome": "held", "mode": "office", "discussed_voluntary_return": "on", "stance": "considering",
        "notes": "Wants to think about it.", "agreed_next_step": "Bring passport", "plan_next": "on",
        "next_planned_at": proposed.strftime("%Y-%m-%dT%H:%M"), "next_mode": "office", "next_office": office.pk,
        "next_counsellor": counsellor.pk,
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.HELD and conversation.notes == "Wants to think about it."
    planned = Conversation.objects.get(case=case, status=Conversation.Status.PLANNED)
    assert timezone.localtime(planned.planned_at).replace(tzinfo=None) == proposed
    case.refresh_from_db()
    assert case.held_conversations == 1 and case.next_conversation_at == planned.planned_at


def test_log_keeps_what_was_typed_when_invalid(web, office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor)
    conversation = f.ConversationFactory(case=case, planned_at=timezone.now() - dt.timedelta(minutes=30))
    response = web.post(reverse("counselling:log", args=[case.pk, conversation.pk]), {
        "outcome": "held", "mode": "office", "stance": "agrees", "notes": "Typed notes stay here", "plan_next": "",
    })
    html = response.content.decode()
    assert response.status_code == 400
    assert "Typed notes stay here" in html
    assert "The stance can only be agreement or refusal when voluntary return was discussed." in html
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.PLANNED


def test_failed_planning_rolls_back_the_logged_outcome(web, office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor)
    conversation = f.ConversationFactory(case=case, planned_at=timezone.now() - dt.timedelta(minutes=30))
    response = web.post(reverse("counselling:log", args=[case.pk, conversation.pk]), {
        "outcome": "held", "mode": "office", "stance": "not_discussed", "plan_next": "on",
        "next_planned_at": (timezone.localtime() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"), "next_mode": "office",
    })
    assert response.status_code == 400
    assert "A conversation is planned in the future." in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.PLANNED


def test_no_show(web, office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor)
    conversation = f.ConversationFactory(case=case, planned_at=timezone.now() - dt.timedelta(hours=2))
    response = web.post(reverse("counselling:log", args=[case.pk, conversation.pk]), {"outcome": "no_show", "mode": "office", "plan_next": ""})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.consecutive_no_shows == 1


def test_walk_in(web, office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor)
    held_at = (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = web.post(reverse("counselling:log_walk_in", args=[case.pk]), {
        "outcome": "held", "held_at": held_at, "mode": "office", "stance": "not_discussed", "plan_next": "",
    })
    assert response.status_code == 302
    assert Conversation.objects.filter(case=case, status="held").count() == 1


def test_reschedule_and_cancel(web, office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor)
    conversation = f.ConversationFactory(case=case, planned_at=local(3))
    response = web.post(reverse("counselling:reschedule", args=[case.pk, conversation.pk]), {
        "reason": "Person is ill", "next_planned_at": local(5, 14).strftime("%Y-%m-%dT%H:%M"), "next_mode": "phone",
    })
    assert response.status_code == 302
    moved = Conversation.objects.get(case=case, status="planned")
    assert moved.mode == "phone" and moved.planned_at == local(5, 14)
    response = web.post(reverse("counselling:cancel", args=[case.pk, moved.pk]), {"reason": ""})
    assert response.status_code == 400
    response = web.post(reverse("counselling:cancel", args=[case.pk, moved.pk]), {"reason": "Left the country"})
    assert response.status_code == 302
    assert not Conversation.objects.filter(case=case, status="planned").exists()
    assert Case.objects.get(pk=case.pk).next_conversation_at is None


def test_plan_page_prefills_a_proposal(web, office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION)
    page = web.get(reverse("counselling:plan", args=[case.pk]))
    assert page.status_code == 200 and page.context["form"].initial.get("next_planned_at")
    when = page.context["form"].initial["next_planned_at"]
    response = web.post(reverse("counselling:plan", args=[case.pk]), {
        "next_planned_at": when.strftime("%Y-%m-%dT%H:%M"), "next_mode": "office", "next_office": office.pk, "next_counsellor": counsellor.pk,
    })
    assert response.status_code == 302
    assert Conversation.objects.filter(case=case, status="planned").exists()


def test_other_office_cannot_log(client, case, other_counsellor):
    client.force_login(other_counsellor)
    assert client.get(reverse("counselling:log_walk_in", args=[case.pk])).status_code == 404


def test_a_walk_in_keeps_the_planned_conversation_unless_asked(web, case, counsellor):
    planned = f.ConversationFactory(case=case, planned_at=local(5))
    page = web.get(reverse("counselling:log_walk_in", args=[case.pk]))
    html = page.content.decode()
    assert "A conversation is already planned on" in html
    assert not page.context["form"].initial["plan_next"]
    response = web.post(reverse("counselling:log_walk_in", args=[case.pk]), {
        "outcome": "held", "mode": "office", "stance": "considering", "discussed_voluntary_return": "on",
        "held_at": timezone.localtime().strftime("%d/%m/%Y %H:%M"), "notes": "Came by.",
    })
    assert response.status_code == 302
    planned.refresh_from_db()
    assert planned.status == Conversation.Status.PLANNED and planned.planned_at == local(5)


def test_a_conversation_of_a_later_day_offers_no_logging_yet(web, case):
    f.ConversationFactory(case=case, planned_at=local(3))
    html = web.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert reverse("counselling:log", args=[case.pk, case.conversations.get().pk]) not in html
    assert "can be logged from the day of the conversation" in html
