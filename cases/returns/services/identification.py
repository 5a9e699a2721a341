"""Travel documents held or missing, and requests to consulates, to their answer."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import CaseEvent
from cases.returns.access import access_for_identification
from cases.returns.models import ConsularRequest, TravelDocument
from cases.returns.timers import consular_due
from cases.services.events import record_event
from returnpath.actors import User
from returnpath.errors import Conflict, DomainError

DOCUMENT_FIELDS = ("kind", "status", "country", "number", "valid_until", "kept_at")
REQUEST_FIELDS = ("kind", "country", "consulate", "reference", "sent_on", "interview_on")


def _refuse(reasons: list[str]) -> None:
    if reasons:
        raise DomainError(_("This cannot be recorded."), code="invalid", details=reasons)


def _document_refusals(values: dict) -> list[str]:
    reasons = []
    if values.get("kind") not in TravelDocument.Kind.values:
        reasons.append(_("Choose the kind of document."))
    if values.get("status") not in TravelDocument.Status.values:
        reasons.append(_("Say whether the document is held or missing."))
    if values.get("status") == TravelDocument.Status.HELD and not values.get("country"):
        reasons.append(_("Give the issuing country of a document the person holds."))
    return reasons


@transaction.atomic
def record_travel_document(*, actor: User, case_id: int, kind: str, status: str, country: str = "", number: str = "",
                           valid_until: dt.date | None = None, kept_at: str = "") -> TravelDocument:
    case = access_for_identification(actor=actor, case_id=case_id, for_update=True)
    values = {"kind": kind, "status": status, "country": country, "number": number, "valid_until": valid_until, "kept_at": kept_at}
    _refuse(_document_refusals(values))
    document = TravelDocument.objects.create(case=case, **values)
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.TRAVEL_DOCUMENT,
                 data={"travel_document": document.pk, "kind": kind, "status": status, "country": str(country)})
    return document


@transaction.atomic
def update_travel_document(*, actor: User, case_id: int, document_id: int, **changes) -> TravelDocument:
    case = access_for_identification(actor=actor, case_id=case_id, for_update=True)
    document = TravelDocument.objects.filter(case=case, pk=document_id).first()
    if document is None:
        raise DomainError(_("No such travel document on this case."), code="not_found")
    unknown = set(changes) - set(DOCUMENT_FIELDS)
    if unknown:
        raise DomainError(_("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    for name, value in changes.items():
        setattr(document, name, value)
    _refuse(_document_refusals({f: getattr(document, f) for f in DOCUMENT_FIELDS}))
    document.save()
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.TRAVEL_DOCUMENT,
                 data={"travel_document": document.pk, "kind": document.kind, "status": document.status,
                       "changed": sorted(changes)})
    return document


def _request_refusals(request: ConsularRequest) -> list[str]:
    reasons = []
    today = timezone.localdate()
    if request.kind not in ConsularRequest.Kind.values:
        reasons.append(_("Choose what is asked of the consulate (laissez-passer or identification)."))
    if not request.country:
        reasons.append(_("Give the country of return."))
    if not (request.consulate or "").strip():
        reasons.append(_("Name the consulate."))
    if request.sent_on is None:
        reasons.append(_("Give the day the request was sent."))
    elif request.sent_on > today:
        reasons.append(_("The request cannot be sent in the future."))
    if request.interview_on and request.sent_on and request.interview_on < request.sent_on:
        reasons.append(_("The interview cannot be before the request was sent."))
    return reasons


@transaction.atomic
def record_consular_request(*, actor: User, case_id: int, kind: str, country: str, consulate: str, sent_on: dt.date | None,
                            reference: str = "", interview_on: dt.date | None = None) -> ConsularRequest:
    case = access_for_identification(actor=actor, case_id=case_id, for_update=True)
    request = ConsularRequest(case=case, kind=kind, country=country, consulate=consulate,
                              sent_on=sent_on,  # type: ignore[misc]  # may be None here: _request_refusals refuses it
                              reference=reference, interview_on=interview_on)
    _refuse(_request_refusals(request))
    request.due_on = consular_due(request)[0]
    request.save()
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.CONSULAR_REQUEST,
                 data={"consular_request": request.pk, "kind": kind, "country": str(country), "consulate": consulate,
                       "sent_on": request.sent_on.isoformat(), "due_on": request.due_on.isoformat() if request.due_on else None})
    return request


@transaction.atomic
def update_consular_request(
    *, actor: User, case_id: int, request_id: int, interview_on: dt.date | str | None = "", interview_held_on: dt.date | None = None,
    reminder_sent_on: dt.date | None = None, answer: str = "", answered_on: dt.date | None = None,
    document_number: str = "", valid_until: dt.date | None = None,
) -> ConsularRequest:
    """Everything that happens to a request after it was sent: an interview planned or held, a
    reminder to the consulate, the answer (issued, refused, no answer) with the document's validity.

    ``interview_on=""`` leaves the planned interview alone; ``None`` clears it.
    """
    case = access_for_identification(actor=actor, case_id=case_id, for_update=True)
    request = ConsularRequest.objects.select_for_update().filter(case=case, pk=request_id).first()
    if request is None:
        raise DomainError(_("No such consular request on this case."), code="not_found")
    today = timezone.localdate()
    reasons, changed = [], []
    if not request.is_pending and (answer or interview_held_on or reminder_sent_on or interview_on != ""):
        if answer == request.answer and answered_on == request.answered_on:
            return request  # the same answer reported again: nothing changes
        raise Conflict(_("The consulate has already answered this request."), code="already_answered")
    if interview_on != "":
        request.interview_on = interview_on
        changed.append("interview_on")
    if interview_held_on:
        if interview_held_on > today:
            reasons.append(_("An interview cannot be held in the future."))
        request.interviews_held = sorted({*(request.interviews_held or []), interview_held_on.isoformat()})
        if request.interview_on and request.interview_on <= interview_held_on:
            request.interview_on = None
        changed.append("interview_held")
    if reminder_sent_on:
        if reminder_sent_on > today or reminder_sent_on < request.sent_on:
            reasons.append(_("A reminder is sent between the request and today."))
        request.reminders_sent += 1
        request.last_reminder_on = max(reminder_sent_on, request.last_reminder_on or reminder_sent_on)
        changed.append("reminder")
    if answer:
        if answer not in ConsularRequest.Answer.values or answer == ConsularRequest.Answer.PENDING:
            reasons.append(_("The answer is issued, refused or no answer."))
        if answered_on is None:
            reasons.append(_("Give the day of the answer."))
        elif answered_on > today or answered_on < request.sent_on:
            reasons.append(_("The answer falls between the request and today."))
        if answer == ConsularRequest.Answer.ISSUED and valid_until is None:
            reasons.append(_("Give how long the issued document is valid."))
        request.answer, request.answered_on = answer, answered_on
        request.document_number, request.valid_until = document_number, valid_until
        changed.append("answer")
    if not changed:
        reasons.append(_("Nothing to record: give an interview, a reminder or the answer."))
    reasons += _request_refusals(request)
    _refuse(reasons)
    request.due_on = consular_due(request)[0]
    request.save()
    data = {"consular_request": request.pk, "changed": changed, "due_on": request.due_on.isoformat() if request.due_on else None}
    if "answer" in changed:
        assert answered_on is not None  # refused above when missing
        data.update(answer=answer, answered_on=answered_on.isoformat(), valid_until=valid_until.isoformat() if valid_until else None)
    kind = CaseEvent.Kind.CONSULAR_ANSWER if "answer" in changed else CaseEvent.Kind.CONSULAR_REQUEST
    record_event(case=case, actor=actor, kind=kind, data=data)
    return request
