"""The person's signed link: made for one conversation, checked in constant time, revocable.

Token = TimestampSigner(salt=PURPOSE).sign("<conversation id>.<nonce>"). The salt makes it
single-purpose (no other signed value of ReturnPath opens this page, and this token opens
nothing else); the nonce, stored on the conversation's InvitationLink, makes it revocable
(rotate it and every earlier link stops working); the timestamp makes it expire.
"""

from __future__ import annotations

import datetime as dt
import hmac

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from counselling.models import Conversation
from counselling.reach.models import InvitationLink, new_nonce

PURPOSE = "returnpath.reach.person-page.v1"
# The page still answers on the day of the appointment and the day after (a late reader sees it).
GRACE_AFTER_APPOINTMENT = dt.timedelta(days=1)


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=PURPOSE)


def link_for(conversation: Conversation) -> InvitationLink:
    link, _created = InvitationLink.objects.get_or_create(conversation=conversation)
    return link


def token_for(link: InvitationLink) -> str:
    return _signer().sign(f"{link.conversation_id}.{link.nonce}")


def person_url(conversation: Conversation) -> str:
    token = token_for(link_for(conversation))
    return settings.RETURNPATH_PUBLIC_BASE_URL.rstrip("/") + reverse("reach:person_page", args=[token])


def resolve(token: str, *, now: dt.datetime | None = None, for_update: bool = False) -> InvitationLink | None:
    """The link the token opens, or None — the same None for forged, expired, revoked or past."""
    now = now or timezone.now()
    try:
        value = _signer().unsign(token, max_age=dt.timedelta(days=settings.RETURNPATH_PERSON_LINK_MAX_AGE_DAYS))
        raw_id, nonce = value.split(".", 1)
        conversation_id = int(raw_id)
    except (signing.BadSignature, ValueError):
        return None
    links = InvitationLink.objects.select_related(
        "conversation__case__person", "conversation__office", "conversation__counsellor", "conversation__case__office"
    )
    if for_update:
        links = links.select_for_update(of=("self",))
    link = links.filter(conversation_id=conversation_id).first()
    if link is None or not hmac.compare_digest(link.nonce, nonce) or link.revoked_at is not None:
        return None
    conversation = link.conversation
    if conversation.status != Conversation.Status.PLANNED or conversation.planned_at + GRACE_AFTER_APPOINTMENT < now:
        return None
    return link


def revoke(*, conversation_id: int) -> bool:
    """Every link handed out for this conversation stops working (a new one can be sent)."""
    return bool(InvitationLink.objects.filter(conversation_id=conversation_id).update(nonce=new_nonce()))
