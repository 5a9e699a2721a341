"""Invitations and reminders: claim, send, mark (docs/decisions, at most once).

1. **Claim** (one short transaction): lock the due conversations with
   ``select_for_update(skip_locked=True)``, write one :class:`OutboundMessage` per channel with a
   claim token, and stamp the conversation (``invitation_sent_at`` / ``reminder_sent_at``). The
   unique constraint (conversation, kind, channel) makes a second claim impossible.
2. **Send** outside any transaction, through Django's mail backend or the SMS backend.
3. **Mark** each message sent (or failed) right after its own send.

Sending and marking live in :mod:`counselling.delivery`: each message's start is committed
before the backend is called, so a crash strands at most one message (``uncertain``, settled
with the backend or by a person); every other claimed row is sent again by the next sweep.
A backend that *raises* did not send, so ``failed`` rows are retried a few times.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Q, QuerySet, Value
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from cases.models import COUNSELLED_STATES, Playbook
from counselling.delivery import MAX_ATTEMPTS, send_claimed
from counselling.models import Conversation, MessageTemplate, OutboundMessage
from counselling.reach.languages import best_language
from counselling.reach.links import person_url

logger = logging.getLogger("returnpath.messaging")

FALLBACK_LANGUAGES = ("nl", "fr", "en")
PROVINCE_LANGUAGE = {
    "antwerp": "nl", "limburg": "nl", "east_flanders": "nl", "west_flanders": "nl", "flemish_brabant": "nl",
    "liege": "fr", "namur": "fr", "hainaut": "fr", "luxembourg": "fr", "walloon_brabant": "fr", "brussels": "fr",
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
STAMP: dict[str, str] = {MessageTemplate.Kind.INVITATION: "invitation_sent_at", MessageTemplate.Kind.REMINDER: "reminder_sent_at"}


def fill(text: str, values: dict[str, str]) -> str:
    """Replace {name}-style placeholders; no attribute access, unknown ones stay as written."""
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)


def office_language(office) -> str:
    for language in getattr(office, "languages", None) or ():
        if language in FALLBACK_LANGUAGES:
            return language
    return PROVINCE_LANGUAGE.get(getattr(office, "province", ""), "en")


def choose_language(*, person_languages, office, available: set[str]) -> str | None:
    """The person's own language when a template exists, else their next one, else the office's, else nl/fr/en."""
    return best_language(person_languages, available, office_language(office))


def message_values(conversation: Conversation, language: str) -> dict[str, str]:
    person = conversation.case.person
    office = conversation.office or conversation.case.office
    local = timezone.localtime(conversation.planned_at)
    with translation.override(language):
        if conversation.mode == Conversation.Mode.HOME_VISIT:
            address = " ".join(filter(None, [person.street, person.postcode, person.municipality]))
        elif conversation.mode == Conversation.Mode.OFFICE and office is not None:
            address = " ".join(filter(None, [office.street, office.postcode, office.municipality]))
        else:
            address = ""
        interpreter = ""
        if conversation.interpreter_language:
            interpreter = _("An interpreter will be present.")
        return {
            "name": person.full_name,
            "date": local.strftime("%d/%m/%Y"),
            "time": local.strftime("%H:%M"),
            "weekday": formats.date_format(local, "l"),
            "place": office.name if office else "",
            "address": address,
            "mode": str(conversation.get_mode_display()),
            "counsellor": conversation.counsellor.get_full_name() if conversation.counsellor_id else "",
            "office_phone": office.phone if office else "",
            "interpreter": interpreter,
            "transport": getattr(office, "public_transport", "") if conversation.mode == Conversation.Mode.OFFICE else "",
            "link": person_url(conversation) if conversation.pk else "",
        }


@dataclass(frozen=True)
class Rendered:
    language: str
    subject: str
    body: str


def render(*, conversation: Conversation, kind: str, channel: str, templates: dict | None = None) -> Rendered | None:
    """The message in the best language that has an active template, or None if none has."""
    if templates is None:
        templates = active_templates()
    by_language = templates.get((kind, channel), {})
    language = choose_language(
        person_languages=conversation.case.person.languages, office=conversation.office or conversation.case.office,
        available=set(by_language),
    )
    if language is None:
        return None
    template = by_language[language]
    values = message_values(conversation, language)
    return Rendered(
        language=language, subject=fill(template.subject, values), body=fill(drop_empty_lines(template.body, values), values).strip()
    )


def drop_empty_lines(text: str, values: dict[str, str]) -> str:
    """A line about something we do not know (no public-transport hint, no link) is left out, not printed half."""
    empty = {key for key in ("transport", "link", "address") if not values.get(key)}
    if not empty:
        return text
    return "\n".join(line for line in text.split("\n") if not any(f"{{{key}}}" in line for key in empty) or "{place}" in line)


def active_templates() -> dict[tuple[str, str], dict[str, MessageTemplate]]:
    templates: dict[tuple[str, str], dict[str, MessageTemplate]] = {}
    for template in MessageTemplate.objects.filter(is_active=True):
        templates.setdefault((template.kind, template.channel), {})[template.language] = template
    return templates


def channels_for(person) -> list[tuple[str, str]]:
    channels: list[tuple[str, str]] = []
    if person.email:
        channels.append((MessageTemplate.Channel.EMAIL, person.email))
    if person.phone:
        channels.append((MessageTemplate.Channel.SMS, person.phone))
    return channels


def needs_letter(person) -> bool:
    return not person.email and not person.phone


# --- what is due ---------------------------------------------------------------------------
def _reachable(conversations: QuerySet) -> QuerySet:
    return conversations.filter(
        status=Conversation.Status.PLANNED, case__state__in=COUNSELLED_STATES,
    ).exclude(case__person__email="", case__person__phone="")


def due_invitations(now: dt.datetime | None = None) -> QuerySet:
    now = now or timezone.now()
    return _reachable(Conversation.objects.filter(invitation_sent_at__isnull=True, planned_at__gt=now))


def due_reminders(now: dt.datetime | None = None) -> QuerySet:
    """Reminders whose lead time has come, for conversations whose invitation went out before it.

    The lead is per playbook (7 rows), so one filter per distinct lead keeps it portable SQL.
    """
    now = now or timezone.now()
    without_playbook = Playbook.fallback().reminder_lead_hours
    leads = set(Playbook.objects.values_list("reminder_lead_hours", flat=True)) | {without_playbook}
    condition = Q()
    for lead in leads:
        window = dt.timedelta(hours=lead)
        group = Q(case__playbook__reminder_lead_hours=lead)
        if lead == without_playbook:
            group |= Q(case__playbook__isnull=True)
        # A conversation invited inside the reminder window has just been told; no reminder on top.
        condition |= group & Q(planned_at__lte=now + window) & Q(invitation_sent_at__lt=_minus("planned_at", window))
    return _reachable(
        Conversation.objects.filter(reminder_sent_at__isnull=True, invitation_sent_at__isnull=False, planned_at__gt=now)
    ).filter(condition)


def _minus(field: str, delta: dt.timedelta) -> ExpressionWrapper:
    return ExpressionWrapper(F(field) - Value(delta), output_field=DateTimeField())


# --- claim, send, mark -----------------------------------------------------------------------
@dataclass
class ClaimResult:
    token: str
    conversations: int = 0
    messages: int = 0
    no_template: int = 0


def claim(*, kind: str, conversations: QuerySet, limit: int) -> ClaimResult:
    """Claim up to ``limit`` due conversations for ``kind`` in one short transaction."""
    result = ClaimResult(token=uuid.uuid4().hex)
    stamp = STAMP[kind]
    templates = active_templates()
    now = timezone.now()
    with transaction.atomic():
        locked = list(
            conversations.select_for_update(skip_locked=True, of=("self",))
            .select_related("case__person", "case__office", "office", "counsellor")
            .order_by("planned_at", "id")[:limit]
        )
        rows = []
        for conversation in locked:
            for channel, to in channels_for(conversation.case.person):
                rendered = render(conversation=conversation, kind=kind, channel=channel, templates=templates)
                if rendered is None:
                    result.no_template += 1
                    continue
                rows.append(OutboundMessage(
                    conversation=conversation, kind=kind, channel=channel, language=rendered.language, to=to,
                    subject=rendered.subject, body=rendered.body, status=OutboundMessage.Status.CLAIMED,
                    claim_token=result.token, claimed_at=now, attempts=1,
                ))
        # ignore_conflicts: a row that exists was claimed before; it is never claimed twice.
        OutboundMessage.objects.bulk_create(rows, ignore_conflicts=True)
        Conversation.objects.filter(pk__in=[c.pk for c in locked]).update(**{stamp: now})
    result.conversations = len(locked)
    result.messages = OutboundMessage.objects.filter(claim_token=result.token).count() if rows else 0
    return result


def claim_retries(*, limit: int, claimed_before: dt.datetime | None = None) -> ClaimResult:
    """Failed sends (the backend raised, so nothing left) and rows a person released for another try.

    Only rows claimed before ``claimed_before`` (the start of the sweep): a send that failed in
    this run waits for the next one instead of hammering a gateway that is down.
    """
    result = ClaimResult(token=uuid.uuid4().hex)
    with transaction.atomic():
        ids = list(
            OutboundMessage.objects.filter(claimed_at__lt=claimed_before or timezone.now()).filter(
                Q(status=OutboundMessage.Status.RETRY)
                | Q(status=OutboundMessage.Status.FAILED, attempts__lt=MAX_ATTEMPTS),
                conversation__status=Conversation.Status.PLANNED,
                conversation__planned_at__gt=timezone.now(),
            )
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("id")
            .values_list("pk", flat=True)[:limit]
        )
        for pk in ids:
            OutboundMessage.objects.filter(pk=pk).update(
                status=OutboundMessage.Status.CLAIMED, claim_token=result.token, claimed_at=timezone.now(),
                attempts=F("attempts") + 1, send_started_at=None,
            )
    result.messages = len(ids)
    return result


def send_for_conversation(*, conversation_id: int) -> dict[str, int]:
    """Right after planning: the invitation for one conversation (the sweep does the same later)."""
    claimed = claim(kind=MessageTemplate.Kind.INVITATION, conversations=due_invitations().filter(pk=conversation_id), limit=1)
    return send_claimed(claimed.token)


def release_for_retry(*, message_ids) -> int:
    """A person checked that a claimed message never left (e.g. the mail log): allow one more try."""
    return OutboundMessage.objects.filter(
        pk__in=list(message_ids),
        status__in=[OutboundMessage.Status.CLAIMED, OutboundMessage.Status.GAVE_UP, OutboundMessage.Status.UNCERTAIN],
    ).update(status=OutboundMessage.Status.RETRY, send_started_at=None)
