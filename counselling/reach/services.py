"""What the person does through their link: open the page, confirm, ask another time or an interpreter.

Every answer is a case event (kind ``person_answered``) on the case's timeline and on the
counsellor's My day; the link row keeps the latest answer for the show-up figures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cases.models import CaseEvent
from cases.services.events import record_event
from counselling.models import Conversation
from counselling.reach import links
from counselling.reach.languages import PERSON_LANGUAGES, best_language, normalise
from counselling.reach.models import InvitationLink
from counselling.scheduling import BRUSSELS, Agenda, OfficeHours, find_slot, min_lead
from returnpath.actors import SYSTEM, Actor

SLOTS_OFFERED = 3


class Answer:
    CONFIRM = "confirmed"
    OTHER_TIME = "other_time"
    INTERPRETER = "interpreter"
    ALL = (CONFIRM, OTHER_TIME, INTERPRETER)


class AnswerRefused(Exception):
    """Too many answers through one link, or a time that is not one of those offered."""


def page_language(link: InvitationLink, requested: str = "") -> str:
    """The language the person asked for on the page, else their own (with fallback)."""
    requested = normalise(requested)
    if requested in PERSON_LANGUAGES:
        return requested
    return best_language(link.conversation.case.person.languages, PERSON_LANGUAGES) or "en"


def language_choices(link: InvitationLink) -> list[str]:
    own = [normalise(code) for code in link.conversation.case.person.languages or []]
    return [code for code in dict.fromkeys([*own, "nl", "fr", "en"]) if code in PERSON_LANGUAGES]


def free_slots(conversation: Conversation, *, now: dt.datetime | None = None, count: int = SLOTS_OFFERED) -> list[dt.datetime]:
    """Up to ``count`` free times of the same counsellor at the same office, one per working day,
    the earliest first (the planner's own rules: hours, holidays, daily maximum, no overlap)."""
    now = now or timezone.now()
    office_id = conversation.office_id or conversation.case.office_id
    if office_id is None:
        return []
    hours = OfficeHours([office_id])
    if not hours.has_hours(office_id):
        return []
    today = timezone.localtime(now, BRUSSELS).date()
    agenda = Agenda.load([conversation.counsellor_id], today, today + dt.timedelta(days=60))
    profile = getattr(conversation.counsellor, "staff_profile", None)
    per_day = profile.conversations_per_day if profile else 6
    slots: list[dt.datetime] = []
    first_day = today
    while len(slots) < count:
        start = find_slot(
            agenda=agenda, hours=hours, office_id=office_id, counsellor_id=conversation.counsellor_id, per_day=per_day,
            minutes=conversation.duration_minutes, earliest=now + min_lead(), first_day=first_day,
        )
        if start is None:
            break
        if start != conversation.planned_at:
            slots.append(start)
        first_day = timezone.localtime(start, BRUSSELS).date() + dt.timedelta(days=1)
    return slots


def note_opened(link: InvitationLink) -> None:
    if link.first_opened_at is None:
        InvitationLink.objects.filter(pk=link.pk, first_opened_at__isnull=True).update(first_opened_at=timezone.now())


def _count_answer(link: InvitationLink, now: dt.datetime) -> None:
    if link.window_started_at is None or now - link.window_started_at >= dt.timedelta(hours=1):
        link.window_started_at, link.window_hits = now, 0
    if link.window_hits >= settings.RETURNPATH_PERSON_ANSWERS_PER_HOUR:
        raise AnswerRefused("too many answers")
    link.window_hits += 1


@dataclass(frozen=True)
class Recorded:
    link: InvitationLink
    event: CaseEvent


@transaction.atomic
def record_person_answer(
    *, token: str, answer: str, language: str, choice: dt.datetime | None = None, now: dt.datetime | None = None
) -> Recorded | None:
    """Record the person's answer; None when the link does not open (the caller shows the neutral page).

    The person has no account: the signed link is the authority, and only for its own
    conversation. A chosen time must be one the page offered (recomputed here, under the lock).
    """
    now = now or timezone.now()
    link = links.resolve(token, now=now, for_update=True)
    if link is None:
        return None
    if answer not in Answer.ALL:
        raise AnswerRefused("unknown answer")
    _count_answer(link, now)
    conversation = link.conversation
    data: dict = {"answer": answer, "conversation": conversation.pk, "language": language}
    fields = ["window_started_at", "window_hits"]
    if answer == Answer.CONFIRM:
        link.confirmed_at = now
        fields.append("confirmed_at")
    elif answer == Answer.OTHER_TIME:
        offered = free_slots(conversation, now=now)
        if choice is not None and choice not in offered:
            raise AnswerRefused("time not offered")
        link.other_time_requested_at, link.other_time_choice = now, choice
        fields += ["other_time_requested_at", "other_time_choice"]
        if choice is not None:
            data["choice"] = choice.isoformat()
    else:
        link.interpreter_requested_at, link.interpreter_language = now, language
        fields += ["interpreter_requested_at", "interpreter_language"]
    link.save(update_fields=fields)
    event = record_event(case=conversation.case, actor=SYSTEM, kind=CaseEvent.Kind.PERSON_ANSWERED, data=data)
    return Recorded(link=link, event=event)


def revoke_link(*, actor: Actor, conversation_id: int) -> bool:
    """An administrator or counsellor withdraws every link sent for a conversation."""
    return links.revoke(conversation_id=conversation_id)
