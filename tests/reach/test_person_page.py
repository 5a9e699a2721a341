"""The person's own language and the person's answer page (issue 14, points 1 and 2)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import signing
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseEvent, State
from counselling import messaging
from counselling.models import MessageTemplate
from counselling.reach import links, ratelimit
from counselling.reach.languages import PERSON_LANGUAGES, best_language
from counselling.reach.models import InvitationLink
from tests import factories as f

pytestmark = pytest.mark.django_db

KINDS_AND_CHANNELS = [(k, c) for k in ("invitation", "reminder") for c in ("email", "sms", "letter")]


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    from django.core.cache import cache

    cache.clear()
    ratelimit.reset_local()


@pytest.fixture
def conversation(case):
    case.person.languages = ["ar", "fr"]
    case.person.national_number = ""
    case.person.dossier_number = "DOS-SECRET-42"
    case.person.save()
    case.office.phone = "02 555 01 01"
    case.office.public_transport = "Metro 2/6 Clemenceau"
    case.office.save()
    return f.ConversationFactory(case=case, planned_at=timezone.now() + dt.timedelta(days=3))


def _path(conversation) -> str:
    return links.person_url(conversation).split("127.0.0.1:8000", 1)[1]


@pytest.mark.parametrize("language", sorted(PERSON_LANGUAGES))
def test_every_language_has_every_template_with_an_honest_review_status(language):
    rows = {(t.kind, t.channel): t for t in MessageTemplate.objects.filter(language=language)}
    assert set(rows) == set(KINDS_AND_CHANNELS)
    expected = "source" if language in ("nl", "fr", "en") else "unreviewed"
    assert {t.review_status for t in rows.values()} == {expected}
    invitation = rows[("invitation", "email")].body
    for placeholder in ("{date}", "{time}", "{address}", "{transport}", "{link}", "{counsellor}"):
        assert placeholder in invitation, (language, placeholder)


@pytest.mark.parametrize(("person", "available", "expected"), [
    (["fa", "en"], {"fa", "en", "nl"}, "fa"),
    (["ku", "fa"], {"fa", "nl"}, "fa"),  # the person's next language before nl/fr/en
    (["ku"], {"nl", "fr", "en"}, "nl"),
    (["prs"], {"fa", "nl"}, "fa"),  # Dari's own code reads Farsi script
    ([], {"fr", "en"}, "fr"),
])
def test_fallback_order(person, available, expected):
    assert best_language(person, available) == expected


def test_the_invitation_carries_a_working_link_in_the_persons_language(conversation):
    rendered = messaging.render(conversation=conversation, kind="invitation", channel="email")
    assert rendered.language == "ar"
    url = re.search(r"http\S+", rendered.body).group(0)
    assert "Metro 2/6 Clemenceau" in rendered.body
    page = Client().get(url.split("127.0.0.1:8000", 1)[1])
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    assert "موعدك" in html  # "your appointment"
    assert conversation.counsellor.get_full_name() in html
    # Only the appointment: nothing of the case.
    assert "DOS-SECRET-42" not in html and conversation.case.person.family_name not in html
    assert page["Referrer-Policy"] == "no-referrer"


def test_a_reminder_leaves_out_the_transport_line_when_the_office_has_none(conversation):
    conversation.office.public_transport = ""
    conversation.office.save()
    rendered = messaging.render(conversation=conversation, kind="reminder", channel="email")
    assert "{transport}" not in rendered.body and "المواصلات العامة" not in rendered.body


@pytest.mark.parametrize("language", ["nl", "ar", "fa"])
def test_confirming_is_an_event_on_the_counsellors_my_day(conversation, client, language):
    path = _path(conversation)
    answer = Client(enforce_csrf_checks=True)
    page = answer.get(path, {"lang": language})
    assert page.status_code == 200 and f'lang="{language}"' in page.content.decode()
    token = page.cookies["csrftoken"].value
    done = answer.post(path, {"answer": "confirmed", "lang": language, "csrfmiddlewaretoken": token})
    assert done.status_code == 302
    event = CaseEvent.objects.get(case=conversation.case, kind=CaseEvent.Kind.PERSON_ANSWERED)
    assert event.data["answer"] == "confirmed" and event.data["language"] == language
    assert InvitationLink.objects.get(conversation=conversation).confirmed_at is not None
    client.force_login(conversation.counsellor)
    my_day = client.get(reverse("counselling:my_day"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Answers from people" in my_day and "The person confirmed the appointment." in my_day


def test_a_post_without_the_csrf_token_is_refused(conversation):
    response = Client(enforce_csrf_checks=True).post(_path(conversation), {"answer": "confirmed"})
    assert response.status_code == 403
    assert not CaseEvent.objects.filter(kind=CaseEvent.Kind.PERSON_ANSWERED).exists()


def test_asking_another_time_offers_three_planner_slots_and_takes_only_those(conversation, client):
    path = _path(conversation)
    page = Client().get(path)
    offered = re.findall(r'name="choice" value="([^"]+)"', page.content.decode())
    assert len(offered) == 3 and len({dt.datetime.fromisoformat(v).date() for v in offered}) == 3
    assert Client().post(path, {"answer": "other_time", "choice": offered[1]}).status_code == 302
    event = CaseEvent.objects.get(kind=CaseEvent.Kind.PERSON_ANSWERED)
    assert event.data["choice"] == offered[1] and "another time" in event.text
    client.force_login(conversation.counsellor)
    my_day = client.get(reverse("counselling:my_day")).content.decode()
    assert reverse("counselling:reschedule", args=[conversation.case_id, conversation.pk]) in my_day
    not_offered = (timezone.now() + dt.timedelta(days=40)).isoformat()
    assert Client().post(path, {"answer": "other_time", "choice": not_offered}).status_code == 400


def test_asking_an_interpreter(conversation):
    assert Client().post(_path(conversation), {"answer": "interpreter", "lang": "fa"}).status_code == 302
    link = InvitationLink.objects.get(conversation=conversation)
    assert link.interpreter_requested_at is not None and link.interpreter_language == "fa"


def test_guessed_expired_revoked_and_past_links_look_the_same(conversation, settings):
    good = _path(conversation)
    neutral = Client().get(reverse("reach:person_page", args=["nothing-here"]))
    assert neutral.status_code == 404
    forged = good[:-3] + ("aaa" if not good.endswith("aaa/") else "bbb") + "/"
    other_purpose = signing.TimestampSigner(salt="another.purpose").sign(f"{conversation.pk}.{conversation.invitation_link.nonce}")
    cases = [forged, reverse("reach:person_page", args=[other_purpose])]
    with override_settings(RETURNPATH_PERSON_LINK_MAX_AGE_DAYS=-1):
        expired = Client().get(good)
    responses = [Client().get(path) for path in cases] + [expired]
    links.revoke(conversation_id=conversation.pk)
    responses.append(Client().get(good))
    for response in responses:
        assert response.status_code == neutral.status_code
        assert response.content == neutral.content
    # A revoked link cannot answer either.
    assert Client().post(good, {"answer": "confirmed"}).status_code == 404
    assert not CaseEvent.objects.filter(kind=CaseEvent.Kind.PERSON_ANSWERED).exists()


def test_a_cancelled_conversations_link_stops_working(conversation):
    path = _path(conversation)
    conversation.status = conversation.Status.CANCELLED
    conversation.save()
    assert Client().get(path).status_code == 404


def test_the_page_is_rate_limited_per_address_even_without_redis(conversation, settings, monkeypatch):
    settings.RETURNPATH_PERSON_PAGE_RATE = 3
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "incr", down)
    path = _path(conversation)
    statuses = [Client().get(path).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


def test_answers_per_link_are_limited_in_the_database(conversation, settings):
    settings.RETURNPATH_PERSON_ANSWERS_PER_HOUR = 2
    path = _path(conversation)
    statuses = [Client().post(path, {"answer": "confirmed"}).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.PERSON_ANSWERED).count() == 2


@pytest.mark.parametrize(("languages", "direction"), [(["fa"], "rtl"), (["ps"], "rtl"), (["ar"], "rtl"), (["ti"], "ltr")])
def test_the_printed_letter_is_right_to_left_for_arabic_farsi_and_pashto(case, client, counsellor, languages, direction):
    case.person.languages = languages
    case.person.email = case.person.phone = ""
    case.person.save()
    conversation = f.ConversationFactory(case=case)
    client.force_login(counsellor)
    html = client.get(reverse("operations:letter", args=[conversation.pk])).content.decode()
    assert f'lang="{languages[0]}" dir="{direction}"' in html
    assert "Not yet reviewed by a translator" in html
    assert "onclick" not in html and "<style" not in html


def test_a_suspended_deadline_reads_suspended_not_passed(case, client, counsellor):
    case.departure_deadline = timezone.localdate() - dt.timedelta(days=5)
    case.pending_suspensive_procedures = 1
    case.save()
    client.force_login(counsellor)
    html = client.get(reverse("cases:detail", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "suspended: a suspensive procedure is pending" in html
    assert "passed 5 days ago" not in html.lower()


def test_a_conversation_after_the_deadline_is_flagged_on_my_day_and_the_case(case, client, counsellor):
    case = type(case).objects.get(pk=case.pk)
    f.ConversationFactory(case=case, planned_at=timezone.now() + dt.timedelta(days=10))
    type(case).objects.filter(pk=case.pk).update(
        departure_deadline=timezone.localdate() + dt.timedelta(days=2), next_conversation_at=timezone.now() + dt.timedelta(days=10),
        state=State.ORIENTATION,
    )
    client.force_login(counsellor)
    my_day = client.get(reverse("counselling:my_day"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "after the departure deadline" in my_day
    page = client.get(reverse("cases:detail", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This conversation is after the departure deadline" in page


def test_a_manager_decides_an_escalation_from_my_day_in_two_page_loads(office, counsellor, manager, client):
    from cases.models import Case

    case = f.CaseFactory(office=office, counsellor=counsellor, state=State.ORIENTATION, public_order=True,
                         departure_deadline=timezone.localdate() - dt.timedelta(days=3), escalation_proposed_at=timezone.now(),
                         escalation_motivation="Refused every option.")
    client.force_login(manager)
    my_day = client.get(reverse("counselling:my_day"), HTTP_ACCEPT_LANGUAGE="en")  # page load 1
    html = my_day.content.decode()
    assert reverse("cases:step", args=[case.pk, "escalate_to_forced_return"]) in html
    decided = client.post(reverse("cases:step", args=[case.pk, "escalate_to_forced_return"]), {  # page load 2
        "t-escalate_to_forced_return-expected_state": "orientation",
        "t-escalate_to_forced_return-motivation": "Agreed with the counsellor.",
    })
    assert decided.status_code == 302
    assert Case.objects.get(pk=case.pk).state == State.FORCED_RETURN


def test_the_admin_says_which_templates_no_translator_has_reviewed(client):
    admin = f.UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    page = client.get("/admin/counselling/messagetemplate/", {"review_status__exact": "unreviewed"}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Not yet reviewed by a translator" in html
    assert len(page.context["cl"].result_list) == 12 * 6
    for url in ("/admin/counselling/outboundmessage/", "/admin/counselling/deliveryreport/", "/admin/counselling/invitationlink/"):
        assert client.get(url).status_code == 200
