"""Sending claimed messages, one at a time, so that a crash strands at most one (decision 030).

Every claimed :class:`OutboundMessage` goes through three committed steps:

1. **start**: ``send_started_at`` is stamped by a conditional UPDATE (still claimed under this
   token, not started yet). Only the sender that wins this UPDATE calls the backend.
2. **send** through the mail or SMS backend, with the message's idempotency key.
3. **mark** it sent (or failed, when the backend raised: nothing left, a retry is safe).

A sender renews ``claimed_at`` of the rows it still holds (a lease), so a later sweep can tell
a dead sender's claim from a live one:

- claimed, never started, lease over: provably never sent → re-claimed under a new token and
  sent (:func:`reclaim_stranded`); the old sender, if it is alive after all, loses the start
  UPDATE and skips it;
- started, never marked, lease over: **uncertain**. A backend that can say whether a key left
  (:meth:`delivery_status`) settles it — sent, or released to go out again with the same key;
  otherwise the operations view shows it with the action that resolves it
  (:func:`resolve_uncertain`). It is never sent again without a person saying so.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from counselling.models import Conversation, MessageTemplate, OutboundMessage
from counselling.sms import get_backend as sms_backend
from returnpath.actors import Actor
from returnpath.errors import Conflict, DomainError

logger = logging.getLogger("returnpath.messaging")

MAX_ATTEMPTS = 3
Status = OutboundMessage.Status


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "RETURNPATH_MESSAGE_LEASE_SECONDS", 120))


KEY_PREFIX = "returnpath-message-"


def idempotency_key(message: OutboundMessage) -> str:
    """The same key for every attempt at one message: a gateway that honours it never sends twice,
    and its delivery reports name the message by it (counselling.reach.delivery)."""
    return f"{KEY_PREFIX}{message.pk}"


def message_id_of(key: str) -> int | None:
    """The message a key (or a bare message id, as older reports carry) names; None if it names none."""
    text = str(key).strip().removeprefix(KEY_PREFIX)
    return int(text) if text.isdigit() else None


def _deliver(message: OutboundMessage) -> None:
    key = idempotency_key(message)
    if message.channel == MessageTemplate.Channel.EMAIL:
        EmailMessage(
            subject=message.subject, body=message.body, from_email=settings.DEFAULT_FROM_EMAIL, to=[message.to],
            # The key also names the message in the backend's delivery reports (counselling.reach.delivery).
            headers={"Message-ID": f"<{key}@returnpath.invalid>", "X-ReturnPath-Message": key, "X-ReturnPath-Reference": key},
        ).send(fail_silently=False)
    else:
        sms_backend().send(to=message.to, body=message.body, key=key)


def _renew(token: str) -> None:
    OutboundMessage.objects.filter(claim_token=token, status=Status.CLAIMED, send_started_at__isnull=True).update(
        claimed_at=timezone.now()
    )


def send_claimed(token: str, *, on_progress: Callable[[], None] | None = None) -> dict[str, int]:
    """Send every message claimed under ``token``: start, send, mark — one message at a time."""
    counts = {"sent": 0, "failed": 0}
    renew_every = lease().total_seconds() / 4
    renewed = time.monotonic()
    ids = list(
        OutboundMessage.objects.filter(claim_token=token, status=Status.CLAIMED, send_started_at__isnull=True)
        .order_by("id").values_list("pk", flat=True)
    )
    for pk in ids:
        if time.monotonic() - renewed > renew_every:
            _renew(token)
            renewed = time.monotonic()
            if on_progress is not None:
                on_progress()
        # Committed before the backend is called (autocommit): the crash window is this message.
        started = OutboundMessage.objects.filter(
            pk=pk, claim_token=token, status=Status.CLAIMED, send_started_at__isnull=True
        ).update(send_started_at=timezone.now())
        if not started:
            continue  # re-claimed by a later sweep that took us for dead
        message = OutboundMessage.objects.get(pk=pk)
        try:
            _deliver(message)
        except Exception as error:  # the backend refused: nothing left, so a retry is safe
            logger.warning("Message %s not sent: %s (details on the message row)", message.pk, type(error).__name__)
            status = Status.GAVE_UP if message.attempts >= MAX_ATTEMPTS else Status.FAILED
            OutboundMessage.objects.filter(pk=pk, claim_token=token).update(
                status=status, error=str(error)[:2000], send_started_at=None
            )
            counts["failed"] += 1
            continue
        OutboundMessage.objects.filter(pk=pk, claim_token=token).update(status=Status.SENT, sent_at=timezone.now(), error="")
        counts["sent"] += 1
    return counts


def reclaim_stranded(*, now: dt.datetime | None = None) -> str | None:
    """Claimed rows whose sender died before starting them: a new token, to be sent again."""
    now = now or timezone.now()
    stranded = OutboundMessage.objects.filter(status=Status.CLAIMED, send_started_at__isnull=True, claimed_at__lt=now - lease())
    # A conversation cancelled or past meanwhile gets no invitation now: never sent, and said so.
    stranded.exclude(conversation__status=Conversation.Status.PLANNED, conversation__planned_at__gt=now).update(
        status=Status.GAVE_UP, error=_("Not sent: the conversation is no longer planned.")
    )
    token = uuid.uuid4().hex
    moved = stranded.filter(conversation__status=Conversation.Status.PLANNED, conversation__planned_at__gt=now).update(
        claim_token=token, claimed_at=timezone.now()
    )
    return token if moved else None


def _backend_status(message: OutboundMessage) -> bool | None:
    """True: it left; False: it provably did not; None: the backend cannot tell."""
    if message.channel != MessageTemplate.Channel.SMS:
        return None  # SMTP has no status to ask for a Message-ID
    lookup = getattr(sms_backend(), "delivery_status", None)
    return lookup(idempotency_key(message)) if lookup else None


def settle_started(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Messages whose send started but was never marked: settle them with the backend, else mark uncertain."""
    counts = {"confirmed": 0, "resent": 0, "uncertain": 0}
    cutoff = (now or timezone.now()) - lease()
    started = OutboundMessage.objects.filter(status=Status.CLAIMED, send_started_at__lt=cutoff).order_by("id")
    for message in started:
        found = _backend_status(message)
        row = OutboundMessage.objects.filter(pk=message.pk, claim_token=message.claim_token, status=Status.CLAIMED)
        if found is True:
            counts["confirmed"] += row.update(status=Status.SENT, sent_at=message.send_started_at)
        elif found is False:
            counts["resent"] += row.update(status=Status.RETRY, send_started_at=None)
        else:
            counts["uncertain"] += row.update(status=Status.UNCERTAIN)
    return counts


@transaction.atomic
def resolve_uncertain(*, actor: Actor, message_id: int, left: bool) -> OutboundMessage:
    """A person checked the mail or SMS log: it left (mark sent) or it did not (send it once more).

    The one action that settles an uncertain message; only someone who may see the operations
    view and the message's case may take it.
    """
    from cases.selectors import cases_visible_to
    from counselling.operations.selectors import may_see_operations

    message = (
        OutboundMessage.objects.select_for_update()
        .filter(pk=message_id, conversation__case__in=cases_visible_to(actor).values("pk")).first()
    )
    if message is None or not may_see_operations(actor):
        raise DomainError(_("No such message, or not yours to resolve."), code="not_found")
    if message.status != Status.UNCERTAIN:
        raise Conflict(_("This message is not uncertain any more."), code="not_uncertain")
    who = getattr(actor, "username", "")
    if left:
        message.status, message.sent_at = Status.SENT, message.send_started_at
        message.error = _("Confirmed sent by %(user)s.") % {"user": who}
    else:
        message.status, message.send_started_at = Status.RETRY, None
        message.error = _("Confirmed not sent by %(user)s; sent again.") % {"user": who}
    message.save(update_fields=["status", "sent_at", "send_started_at", "error"])
    logger.info("Uncertain message %s resolved by user %s: %s", message.pk, getattr(actor, "pk", None),
                "left" if left else "did not leave")
    return message


def counts_by_status() -> dict[str, int]:
    from django.db.models import Count

    return dict(OutboundMessage.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))


NEEDS_A_PERSON = Q(status__in=[Status.UNCERTAIN, Status.GAVE_UP])
