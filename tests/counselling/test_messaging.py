"""Invitations and reminders: language, channels, claim-send-mark, at most once (issue 5, item 3)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import IntegrityError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from counselling import messaging, sweeps
from counselling.models import MessageTemplate, OutboundMessage
from counselling.sms import LocmemSmsBackend
from tests import factories as f

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("sms_outbox"),
]


@pytest.fixture
def sms_outbox():
    LocmemSmsBackend.outbox = []
    with override_settings(RETURNPATH_SMS_BACKEND="counselling.sms.LocmemSmsBackend",
                           EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        yield LocmemSmsBackend.outbox


def planned(case, *, hours=72, **person):
    for key, value in person.items():
        setattr(case.person, key, value)
    case.person.save()
    return f.ConversationFactory(case=case, planned_at=timezone.now() + dt.timedelta(hours=hours))


def test_templates_are_seeded_in_fifteen_languages():
    # issue 14: invitation, reminder and letter, by e-mail, SMS and on paper, in 15 languages
    assert len(set(MessageTemplate.objects.values_list("language", flat=True))) == 15
    assert MessageTemplate.objects.count() == 15 * 2 * 3


def test_invitation_by_email_and_sms_in_the_persons_language(case, sms_outbox):
    conversation = planned(case, email="p@example.org", phone="+32470000000", languages=["ku", "fr"])  # no Kurdish text yet
    counts = sweeps.send_due_messages()
    assert counts["invitations"] == 2 and counts["sent"] == 2
    assert len(mail.outbox) == 1 and mail.outbox[0].subject.startswith("Invitation à un entretien")
    assert mail.outbox[0].to == ["p@example.org"]
    assert len(sms_outbox) == 1 and "entretien" in sms_outbox[0]["body"].lower()
    rows = OutboundMessage.objects.filter(conversation=conversation)
    assert {(m.channel, m.status, m.language) for m in rows} == {("email", "sent", "fr"), ("sms", "sent", "fr")}
    # A second run sends nothing.
    assert sweeps.send_due_messages()["sent"] == 0
    assert len(mail.outbox) == 1 and len(sms_outbox) == 1


def test_fallback_to_the_offices_language(case, sms_outbox):
    case.office.languages = ["nl", "fr"]
    case.office.save()
    planned(case, phone="+32470000001", languages=["am"])
    sweeps.send_due_messages()
    assert OutboundMessage.objects.get().language == "nl"


def test_admin_template_in_a_new_language_is_used(case):
    MessageTemplate.objects.create(kind="invitation", channel="email", language="am", subject="ዕድመ {date}", body="{name}")
    conversation = planned(case, email="p@example.org", languages=["am"])
    sweeps.send_due_messages()
    assert mail.outbox[0].subject.startswith("ዕድመ ") and OutboundMessage.objects.get(conversation=conversation).language == "am"


def test_placeholders_are_filled_without_attribute_access():
    assert messaging.fill("{name} {name.__class__} {unknown}", {"name": "Ana"}) == "Ana {name.__class__} {unknown}"


def test_no_email_no_phone_gets_no_message_but_a_letter(case, counsellor, client):
    conversation = planned(case, email="", phone="")
    assert sweeps.send_due_messages()["invitations"] == 0
    client.force_login(counsellor)
    page = client.get(reverse("operations:letter", args=[conversation.pk]))
    assert page.status_code == 200
    assert case.person.full_name in page.content.decode()
    assert timezone.localtime(conversation.planned_at).strftime("%d/%m/%Y") in page.content.decode()


def test_letter_is_not_found_for_staff_of_another_office(case, other_counsellor, client):
    conversation = planned(case, email="", phone="")
    client.force_login(other_counsellor)
    assert client.get(reverse("operations:letter", args=[conversation.pk])).status_code == 404


def test_reminder_within_the_playbook_lead_and_only_after_an_earlier_invitation(case, office, counsellor, sms_outbox):
    soon = planned(case, hours=24, phone="+32470000002")  # individual playbook: 48 h lead
    soon.invitation_sent_at = timezone.now() - dt.timedelta(days=3)
    soon.save()
    other = f.CaseFactory(office=office, counsellor=counsellor, person__phone="+32470000003")
    just_invited = f.ConversationFactory(case=other, planned_at=timezone.now() + dt.timedelta(hours=24))
    counts = sweeps.send_due_messages()
    assert counts["reminders"] == 1
    assert OutboundMessage.objects.filter(kind="reminder").get().conversation == soon
    assert OutboundMessage.objects.filter(kind="invitation").get().conversation == just_invited
    # The invitation just sent falls inside the lead: no reminder on top of it, now or later.
    assert sweeps.send_due_messages()["reminders"] == 0


def test_far_conversation_gets_no_reminder_yet(case):
    conversation = planned(case, hours=24 * 10, email="p@example.org")
    sweeps.send_due_messages()
    assert not OutboundMessage.objects.filter(conversation=conversation, kind="reminder").exists()


def test_a_claim_whose_sender_died_before_starting_goes_out_after_the_lease(case, sms_outbox):
    planned(case, email="p@example.org", phone="+32470000004")
    claimed = messaging.claim(kind="invitation", conversations=messaging.due_invitations(), limit=10)
    assert claimed.messages == 2
    # The worker dies here, before starting any send. While the lease runs, nothing is taken over.
    counts = sweeps.send_due_messages()
    assert counts["sent"] == 0 and len(mail.outbox) == 0 and len(sms_outbox) == 0
    OutboundMessage.objects.update(claimed_at=timezone.now() - dt.timedelta(minutes=5))
    counts = sweeps.send_due_messages()
    assert counts["stranded"] == 2 and counts["sent"] == 2
    assert len(mail.outbox) == 1 and len(sms_outbox) == 1
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {"sent"}
    assert sweeps.send_due_messages()["sent"] == 0 and len(mail.outbox) == 1


def test_a_failed_send_waits_for_the_next_run_then_goes_out(case, monkeypatch, sms_outbox):
    planned(case, phone="+32470000005")

    def refuse(self, *, to, body, key=""):
        raise ConnectionError("gateway down")

    monkeypatch.setattr(LocmemSmsBackend, "send", refuse)
    assert sweeps.send_due_messages()["failed"] == 1
    message = OutboundMessage.objects.get()
    assert message.status == "failed" and "gateway down" in message.error
    monkeypatch.undo()
    counts = sweeps.send_due_messages()
    assert counts["retried"] == 1 and counts["sent"] == 1
    message.refresh_from_db()
    assert message.status == "sent" and message.attempts == 2 and len(sms_outbox) == 1


def test_the_database_refuses_a_second_copy(case):
    conversation = planned(case, email="p@example.org")
    OutboundMessage.objects.create(conversation=conversation, kind="invitation", channel="email", to="p@example.org")
    with pytest.raises(IntegrityError):
        OutboundMessage.objects.create(conversation=conversation, kind="invitation", channel="email", to="p@example.org")


def test_released_message_goes_out_once_more(case):
    conversation = planned(case, email="p@example.org")
    claimed = messaging.claim(kind="invitation", conversations=messaging.due_invitations(), limit=10)
    assert messaging.release_for_retry(message_ids=OutboundMessage.objects.values_list("pk", flat=True)) == 1
    assert sweeps.send_due_messages()["sent"] == 1
    assert OutboundMessage.objects.get(conversation=conversation).claim_token != claimed.token


def test_invitation_right_after_planning(case, counsellor, django_capture_on_commit_callbacks):
    from returnpath import celery_app

    case.person.email = "p@example.org"
    case.person.save()
    from counselling import services as counselling

    celery_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            counselling.plan_conversation(actor=counsellor, case_id=case.pk, planned_at=timezone.now() + dt.timedelta(days=3))
    finally:
        celery_app.conf.task_always_eager = False
    assert len(mail.outbox) == 1 and OutboundMessage.objects.get().status == "sent"
