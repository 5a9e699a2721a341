"""Show-up measured (issue 14, point 3): delivery callbacks and the show-up dashboard."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from counselling.models import Conversation, OutboundMessage
from counselling.reach import delivery, figures
from counselling.reach.models import DeliveryReport, InvitationLink
from tests import factories as f

pytestmark = pytest.mark.django_db
SECRET = "s3cret-of-the-sms-gateway"


@pytest.fixture
def message(case):
    conversation = f.ConversationFactory(case=case)
    return OutboundMessage.objects.create(
        conversation=conversation, kind="invitation", channel="sms", language="fr", to="+32470000000", status="sent",
        sent_at=timezone.now(),
    )


@pytest.fixture
def gateway(settings):
    settings.RETURNPATH_DELIVERY_CALLBACK_SECRETS = {"sms-gateway": SECRET}


def _post(body: dict, *, signature: str | None = None, backend: str = "sms-gateway"):
    raw = json.dumps(body).encode()
    signature = delivery.sign(secret=SECRET, body=raw) if signature is None else signature
    return Client(enforce_csrf_checks=True).post(
        reverse("reach:delivery_callback", args=[backend]), raw, content_type="application/json",
        HTTP_X_RETURNPATH_SIGNATURE=signature,
    )


def test_a_signed_report_is_stored_once(gateway, message):
    report = {"reference": str(message.pk), "status": "delivered", "at": "2026-11-20T10:00:00+00:00", "provider_reference": "gw-1"}
    assert _post(report).json() == {"recorded": 1}
    assert _post({"reports": [report]}).json() == {"recorded": 0}  # the same report again changes nothing
    assert delivery.latest_status(message) == "delivered"
    assert DeliveryReport.objects.get().provider_reference == "gw-1"


@pytest.mark.parametrize(("signature", "backend", "status"), [
    ("t=1,v1=00", "sms-gateway", 403),  # forged
    (None, "mail-gateway", 404),  # a backend without a secret has no endpoint
])
def test_unsigned_or_unknown_reports_are_refused(gateway, message, signature, backend, status):
    response = _post({"reference": str(message.pk), "status": "failed"}, signature=signature, backend=backend)
    assert response.status_code == status
    assert not DeliveryReport.objects.exists()


def test_an_old_signature_is_refused(gateway, message):
    raw = json.dumps({"reference": str(message.pk), "status": "failed"}).encode()
    old = delivery.sign(secret=SECRET, body=raw, at=int(time.time()) - 3600)
    assert _post({"reference": str(message.pk), "status": "failed"}, signature=old).status_code == 403


def test_unknown_references_and_statuses_are_ignored(gateway, message):
    assert _post({"reports": [{"reference": "999999", "status": "delivered"}, {"reference": str(message.pk), "status": "read"}]}).json() == {"recorded": 0}


def _outcome(case, *, intake: bool, held: bool, days_ago: int, channel: str | None = "sms", language="ar", confirmed=False):
    conversation = Conversation.objects.create(
        case=case, counsellor=case.counsellor, office=case.office, is_intake=intake,
        planned_at=timezone.now() - dt.timedelta(days=days_ago),
        status=Conversation.Status.HELD if held else Conversation.Status.NO_SHOW,
        stance="considering" if held else "",
    )
    if channel:
        OutboundMessage.objects.create(conversation=conversation, kind="invitation", channel=channel, language=language, to="x", status="sent")
    if confirmed:
        InvitationLink.objects.create(conversation=conversation, confirmed_at=timezone.now())
    return conversation


def test_show_up_rates_by_dimension_and_the_baseline(office, counsellor, manager, client):
    cases = [f.CaseFactory(office=office, counsellor=counsellor, target_group="family") for _ in range(4)]
    _outcome(cases[0], intake=True, held=True, days_ago=3, confirmed=True)
    _outcome(cases[1], intake=True, held=False, days_ago=4, channel="email", language="fa")
    _outcome(cases[2], intake=True, held=True, days_ago=5, channel=None)
    _outcome(cases[3], intake=False, held=False, days_ago=6)
    today = timezone.localdate()
    data = figures.show_up(manager, since=today - dt.timedelta(days=30), until=today)
    assert (data.first_total.held, data.first_total.total) == (2, 3)
    assert (data.follow_up_total.held, data.follow_up_total.total) == (0, 1)
    languages = {r.label: (r.held, r.total) for r in data.first["language"]}
    assert languages == {"ar": (1, 1), "fa": (0, 1), "—": (1, 1)}
    channels = {r.label: r.total for r in data.first["channel"]}
    assert channels == {"SMS": 1, "E-mail": 1, "Printed letter": 1}
    assert (data.confirmed.held, data.confirmed.total) == (1, 1)
    client.force_login(manager)
    html = client.get(reverse("reach:show_up"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "41 % · 136/329 (2021)" in html and 'stroke-dasharray="6 4"' in html
    assert "67 %" in html  # 2 of 3 first invitations


def test_counsellors_do_not_see_the_show_up_dashboard(counsellor, client):
    client.force_login(counsellor)
    assert client.get(reverse("reach:show_up")).status_code == 403


def test_a_manager_cannot_open_another_offices_figures(manager, other_office, client):
    client.force_login(manager)
    assert client.get(reverse("reach:show_up"), {"office": other_office.pk}).status_code == 404


def test_days_from_notification_to_first_contact(office, counsellor, manager):
    case = f.CaseFactory(office=office, counsellor=counsellor)
    f.OrderFactory(case=case, notified_on=timezone.localdate() - dt.timedelta(days=10), issued_on=timezone.localdate() - dt.timedelta(days=11))
    _outcome(case, intake=True, held=True, days_ago=4)
    today = timezone.localdate()
    rows = figures.days_to_first_contact(manager, since=today - dt.timedelta(days=30), until=today)
    assert [row[1:] for row in rows] == [(1, 6)]


def test_a_conversation_without_an_invitation_on_record_is_not_counted_as_a_letter(office, counsellor, manager):
    case = f.CaseFactory(office=office, counsellor=counsellor, person=f.PersonFactory(phone="+32470000009"))
    _outcome(case, intake=True, held=True, days_ago=2, channel=None)
    today = timezone.localdate()
    data = figures.show_up(manager, since=today - dt.timedelta(days=30), until=today)
    assert [r.label for r in data.first["channel"]] == ["No invitation on record"]
