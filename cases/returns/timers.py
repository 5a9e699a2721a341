"""The consular timers: when the counsellor must act on a request, and the sweep that reminds.

The due date is a column (``ConsularRequest.due_on``), computed here whenever a request changes;
the sweep finds what is due, appends one timeline event per due date and marks it reminded, so
running it twice reminds once and a lost Celery message loses nothing.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from cases.models import OPEN_STATES, CaseEvent
from cases.returns.models import ConsularRequest
from cases.services.events import record_event
from returnpath.actors import SYSTEM


def consular_due(request: ConsularRequest) -> tuple[dt.date | None, str]:
    """(due date, why): prepare an interview ahead of it, else chase an answer after N days."""
    if request.answer != ConsularRequest.Answer.PENDING:
        return None, ""
    if request.interview_on:
        return request.interview_on - dt.timedelta(days=settings.RETURNPATH_CONSULAR_INTERVIEW_LEAD_DAYS), "interview"
    held = [dt.date.fromisoformat(d) for d in request.interviews_held or [] if isinstance(d, str)]
    since = max([request.sent_on, *(d for d in [request.last_reminder_on] if d), *held])
    return since + dt.timedelta(days=settings.RETURNPATH_CONSULAR_ANSWER_DAYS), "answer"


def due_reason(request: ConsularRequest) -> str:
    return consular_due(request)[1]


def remind_due_consular_requests(*, today: dt.date | None = None, batch_size: int = 500) -> int:
    """One timeline event per request and due date; returns how many reminders were written."""
    today = today or timezone.localdate()
    due = (
        ConsularRequest.objects.filter(answer=ConsularRequest.Answer.PENDING, due_on__lte=today, case__state__in=OPEN_STATES)
        .filter(Q(reminded_for__isnull=True) | ~Q(reminded_for=F("due_on")))
    )
    done, last_id = 0, 0
    while True:
        with transaction.atomic():
            batch = list(
                due.filter(pk__gt=last_id).order_by("pk").select_for_update(skip_locked=True, of=("self",))
                .select_related("case")[:batch_size]
            )
            if not batch:
                return done
            last_id = batch[-1].pk
            for request in batch:
                assert request.due_on is not None  # filtered on due_on__lte
                record_event(
                    case=request.case, actor=SYSTEM, kind=CaseEvent.Kind.CONSULAR_FOLLOW_UP_DUE,
                    data={"consular_request": request.pk, "due_on": request.due_on.isoformat(), "why": due_reason(request),
                          "country": str(request.country)},
                )
                request.reminded_for = request.due_on
            ConsularRequest.objects.bulk_update(batch, ["reminded_for"])
            done += len(batch)
