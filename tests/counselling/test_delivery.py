"""Decision 030: a send that started but was never confirmed is settled, never silently repeated."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from counselling import delivery, messaging, sweeps
from counselling.models import OutboundMessage
from counselling.sms import LocmemSmsBackend
from tests import factories as f

pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def sms_outbox():
    LocmemSmsBackend.outbox = []
    with override_settings(RETURNPATH_SMS_BACKEND="counselling.sms.LocmemSmsBackend",
                           EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        yield LocmemSmsBackend.outbox


def started_then_killed(case, **person) -> list[OutboundMessage]:
    """Claim, stamp the start of every send, and die before the backend returns."""
    for key, value in person.items():
        setattr(case.person, key, value)
    case.person.save()
    f.ConversationFactory(case=case, planned_at=timezone.now() + dt.timedelta(days=3))
    messaging.claim(kind="invitation", conversations=messaging.due_invitations(), limit=10)
    long_ago = timezone.now() - dt.timedelta(minutes=5)
    OutboundMessage.objects.update(send_started_at=long_ago, claimed_at=long_ago)
    return list(OutboundMessage.objects.order_by("channel"))


def test_the_start_is_stamped_before_the_backend_is_called(case, monkeypatch):
    case.person.email = "p@example.org"
    case.person.save()
    f.ConversationFactory(case=case, planned_at=timezone.now() + dt.timedelta(days=3))
    claimed = messaging.claim(kind="invitation", conversations=messaging.due_invitations(), limit=10)
    seen = []

    def deliver(message):
        seen.append(OutboundMessage.objects.get(pk=message.pk).send_started_at)

    monkeypatch.setattr(delivery, "_deliver", deliver)
    assert delivery.send_claimed(claimed.token) == {"sent": 1, "failed": 0}
    assert seen and seen[0] is not None


def test_started_sms_is_settled_with_the_backend(case, sms_outbox):
    (sms,) = started_then_killed(case, phone="+32470000009")
    # The gateway's own record says whether the key left.
    sms_outbox.append({"to": sms.to, "body": sms.body, "key": delivery.idempotency_key(sms)})
    counts = sweeps.send_due_messages()
    assert counts["confirmed"] == 1 and counts["uncertain"] == 0 and counts["sent"] == 0
    assert OutboundMessage.objects.get().status == "sent" and len(sms_outbox) == 1


def test_started_sms_the_gateway_never_saw_goes_out_once(case, sms_outbox):
    started_then_killed(case, phone="+32470000009")
    counts = sweeps.send_due_messages()
    assert counts["resent"] == 1 and counts["sent"] == 1 and len(sms_outbox) == 1
    assert OutboundMessage.objects.get().status == "sent"


def test_started_email_becomes_uncertain_and_a_person_resolves_it(case, client, manager):
    (email,) = started_then_killed(case, email="p@example.org")
    counts = sweeps.send_due_messages()
    assert counts["uncertain"] == 1 and counts["sent"] == 0 and len(mail.outbox) == 0
    assert sweeps.send_due_messages()["sent"] == 0  # never sent again by itself
    client.force_login(manager)
    page = client.get(reverse("operations:index"))
    assert page.context["stuck_messages_count"] == 1
    assert f"returnpath-message-{email.pk}" in page.content.decode()
    answer = client.post(reverse("operations:resolve_message", args=[email.pk]), {"left": "no"})
    assert answer.status_code == 302
    assert sweeps.send_due_messages()["sent"] == 1 and len(mail.outbox) == 1
    assert client.get(reverse("operations:index")).context["stuck_messages_count"] == 0


def test_confirming_an_uncertain_message_marks_it_sent(case, manager):
    (email,) = started_then_killed(case, email="p@example.org")
    sweeps.send_due_messages()
    message = delivery.resolve_uncertain(actor=manager, message_id=email.pk, left=True)
    assert message.status == "sent" and message.sent_at is not None
    assert sweeps.send_due_messages()["sent"] == 0 and len(mail.outbox) == 0


def test_a_counsellor_cannot_resolve(case, counsellor, client):
    (email,) = started_then_killed(case, email="p@example.org")
    sweeps.send_due_messages()
    client.force_login(counsellor)
    assert client.post(reverse("operations:resolve_message", args=[email.pk]), {"left": "no"}).status_code == 404
    assert OutboundMessage.objects.get().status == "uncertain"


def test_a_live_sender_that_lost_its_claim_skips_the_message(case):
    case.person.email = "p@example.org"
    case.person.save()
    f.ConversationFactory(case=case, planned_at=timezone.now() + dt.timedelta(days=3))
    claimed = messaging.claim(kind="invitation", conversations=messaging.due_invitations(), limit=10)
    OutboundMessage.objects.update(claimed_at=timezone.now() - dt.timedelta(minutes=5))
    token = delivery.reclaim_stranded()
    assert token and delivery.send_claimed(token)["sent"] == 1
    # The first sender wakes up: its token no longer owns the row, nothing goes out twice.
    assert delivery.send_claimed(claimed.token) == {"sent": 0, "failed": 0}
    assert len(mail.outbox) == 1


def test_a_stranded_claim_for_a_cancelled_conversation_is_not_sent(case):
    case.person.email = "p@example.org"
    case.person.save()
    conversation = f.ConversationFactory(case=case, planned_at=timezone.now() + dt.timedelta(days=3))
    messaging.claim(kind="invitation", conversations=messaging.due_invitations(), limit=10)
    OutboundMessage.objects.update(claimed_at=timezone.now() - dt.timedelta(minutes=5))
    conversation.status = "cancelled"
    conversation.cancel_reason = "case closed"
    conversation.save()
    assert delivery.reclaim_stranded() is None
    message = OutboundMessage.objects.get()
    assert message.status == "gave_up" and "no longer planned" in message.error and len(mail.outbox) == 0
