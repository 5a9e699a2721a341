"""Reads of the counsellor's workplace: My day (agenda, overdue outcomes, cases needing attention).

Each list is one query with its joins, capped: the page costs the same number of queries for a
counsellor with three cases as for one with three hundred.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import COUNSELLED_STATES, OPEN_STATES, Case, CaseEvent, DetentionDecision
from cases.selectors import cases_visible_to
from cases.steps import LOSE_CONTACT_STATES, STEPS
from counselling.models import Conversation

LIST_LIMIT = 50
DEADLINE_ATTENTION_DAYS = 7
REPEATED_NO_SHOWS = 2
ANSWERS_DAYS = 7


@dataclass
class AttentionItem:
    case: Case
    reasons: list[str] = field(default_factory=list)


@dataclass
class MyDay:
    today: dt.date
    week_end: dt.date
    today_conversations: list[Conversation]
    week_conversations: list[Conversation]
    overdue: list[Conversation]
    attention: list[AttentionItem]
    escalations: list[Case]
    lose_contact: list[Case]
    detention_to_confirm: list[DetentionDecision] = field(default_factory=list)
    # What people answered through their invitation links (counselling.reach), newest first.
    answers: list[CaseEvent] = field(default_factory=list)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def planned_conversations_of(user) -> QuerySet[Conversation]:
    return (
        Conversation.objects.filter(counsellor=user, status=Conversation.Status.PLANNED)
        .select_related("case__person", "office")
        .order_by("planned_at", "id")
    )


def attention_reasons(case: Case, today: dt.date) -> list[str]:
    """Why a case is on the 'needs attention' list (the same conditions as the query below)."""
    reasons = []
    if case.departure_deadline is not None and today <= case.departure_deadline <= today + dt.timedelta(days=DEADLINE_ATTENTION_DAYS):
        reasons.append(_("Departure deadline within a week"))
    if case.state in COUNSELLED_STATES and case.next_conversation_at is None:
        reasons.append(_("No conversation planned"))
    if case.consecutive_no_shows >= REPEATED_NO_SHOWS:
        reasons.append(_("%(count)s no-shows in a row") % {"count": case.consecutive_no_shows})
    if case.lose_contact_proposed_at is not None:
        reasons.append(_("Losing contact proposed to the office manager"))
    if case.unaccompanied_minor and case.came_of_age_on is not None:
        reasons.append(_("Came of age: review the trajectory"))
    if planned_after_deadline(case):
        reasons.append(_("The next conversation is after the departure deadline: no earlier slot was free"))
    return reasons


def planned_after_deadline(case: Case) -> bool:
    """The planned conversation falls after a running departure deadline (the planner found nothing before it)."""
    if case.next_conversation_at is None or case.departure_deadline is None or case.pending_suspensive_procedures:
        return False
    return timezone.localdate(case.next_conversation_at) > case.departure_deadline >= timezone.localdate()


def person_answers(user, *, since: dt.datetime, limit: int = LIST_LIMIT) -> list[CaseEvent]:
    """Answers people gave through their invitation links on the user's cases since ``since``."""
    return list(
        CaseEvent.objects.filter(kind=CaseEvent.Kind.PERSON_ANSWERED, at__gte=since, case__counsellor=user)
        .filter(case__in=cases_visible_to(user).values("pk"))
        .select_related("case__person")
        .order_by("-at", "-id")[:limit]
    )


def my_day(user, *, now: dt.datetime | None = None) -> MyDay:
    now = now or timezone.now()
    today = timezone.localdate(now)
    # The rest of the working week, and at least the next three days (on Friday: until Monday).
    week_end = max(today + dt.timedelta(days=6 - today.weekday()), today + dt.timedelta(days=3))
    upcoming = list(
        planned_conversations_of(user).filter(planned_at__gte=_day_start(today), planned_at__lt=_day_start(week_end + dt.timedelta(days=1)))[
            : LIST_LIMIT * 2
        ]
    )
    today_conversations = [c for c in upcoming if timezone.localdate(c.planned_at) == today]
    week_conversations = [c for c in upcoming if timezone.localdate(c.planned_at) != today]
    overdue = list(planned_conversations_of(user).filter(planned_at__lt=_day_start(today))[:LIST_LIMIT])

    deadline_soon = Q(departure_deadline__gte=today, departure_deadline__lte=today + dt.timedelta(days=DEADLINE_ATTENTION_DAYS))
    attention_cases = (
        cases_visible_to(user)
        .filter(counsellor=user, state__in=OPEN_STATES)
        .filter(
            deadline_soon
            | Q(state__in=COUNSELLED_STATES, next_conversation_at__isnull=True)
            | Q(consecutive_no_shows__gte=REPEATED_NO_SHOWS)
            | Q(lose_contact_proposed_at__isnull=False)
            | Q(unaccompanied_minor=True, came_of_age_on__isnull=False)
            | Q(next_conversation_at__date__gt=F("departure_deadline"), departure_deadline__gte=today, pending_suspensive_procedures=0)
        )
        .select_related("person")
        .order_by("departure_deadline", "id")[:LIST_LIMIT]
    )
    attention = [AttentionItem(case=c, reasons=attention_reasons(c, today)) for c in attention_cases]

    escalations: list[Case] = []
    lose_contact: list[Case] = []
    if user.has_perm("cases.escalate_case"):
        escalations = list(
            cases_visible_to(user)
            .filter(escalation_proposed_at__isnull=False, state__in=STEPS["escalate_to_forced_return"].sources)
            .select_related("person", "counsellor")
            .order_by("escalation_proposed_at", "id")[:LIST_LIMIT]
        )
    if user.has_perm("cases.decide_case"):
        lose_contact = list(
            cases_visible_to(user)
            .filter(lose_contact_proposed_at__isnull=False, state__in=LOSE_CONTACT_STATES)
            .select_related("person", "counsellor")
            .order_by("lose_contact_proposed_at", "id")[:LIST_LIMIT]
        )
    detention_to_confirm: list[DetentionDecision] = []
    if user.has_perm("cases.confirm_detention"):
        # Four eyes on liberty: what another manager decided and waits for this one's confirmation.
        detention_to_confirm = list(
            DetentionDecision.objects.filter(status=DetentionDecision.Status.PENDING, case__in=cases_visible_to(user))
            .exclude(decided_by=user).select_related("case__person", "decided_by", "facility")
            .order_by("created_at", "id")[:LIST_LIMIT]
        )
    return MyDay(
        today=today, week_end=week_end, today_conversations=today_conversations, week_conversations=week_conversations,
        overdue=overdue, attention=attention, escalations=escalations, lose_contact=lose_contact,
        detention_to_confirm=detention_to_confirm,
        answers=person_answers(user, since=now - dt.timedelta(days=ANSWERS_DAYS)),
    )
