"""The timeline's sentences for the return work's events, built from the event's data at display
time in the reader's language (as ``CaseEvent.text`` does for the core's own events)."""

from __future__ import annotations

import datetime as dt

from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext

KINDS = (
    "travel_document", "consular_request", "consular_answer", "consular_follow_up_due", "referral", "referral_stage",
    "reintegration_support", "follow_up_contact", "vulnerability", "fitness_opinion", "removal_planned", "removal_outcome",
    "document_added",
)


def _day(value) -> str:
    try:
        return date_format(dt.date.fromisoformat(value)) if isinstance(value, str) else ""
    except ValueError:
        return ""


def _label(model, field: str, value) -> str:
    choices = dict(model._meta.get_field(field).choices or ())
    return str(choices.get(value, value or ""))


def text(event) -> str:
    """The sentence for one event; the note a person wrote follows it."""
    from cases.returns.care import RemovalOperation, Vulnerability
    from cases.returns.documents import CaseDocument
    from cases.returns.models import ConsularRequest, Referral, ReintegrationSupport, TravelDocument

    data = event.data if isinstance(event.data, dict) else {}
    kind = event.kind
    sentence = ""
    if kind == "travel_document":
        sentence = f"{_label(TravelDocument, 'kind', data.get('kind'))}: {_label(TravelDocument, 'status', data.get('status'))}"
    elif kind == "consular_request" and data.get("sent_on"):
        sentence = gettext("%(kind)s asked of %(consulate)s on %(day)s.") % {
            "kind": _label(ConsularRequest, "kind", data.get("kind")), "consulate": data.get("consulate", ""), "day": _day(data["sent_on"])}
    elif kind == "consular_answer":
        sentence = _label(ConsularRequest, "answer", data.get("answer"))
        if data.get("valid_until"):
            sentence += " · " + gettext("valid until %(day)s") % {"day": _day(data["valid_until"])}
    elif kind == "consular_follow_up_due":
        sentence = (gettext("Prepare the interview by %(day)s.") if data.get("why") == "interview"
                    else gettext("Chase the answer from %(day)s.")) % {"day": _day(data.get("due_on"))}
    elif kind == "referral":
        sentence = str(data.get("partner", ""))
    elif kind == "referral_stage":
        sentence = _label(Referral, "stage", data.get("stage"))
        if data.get("flight"):
            sentence += " · " + gettext("Flight %(flight)s on %(day)s") % {"flight": data["flight"], "day": _day(data.get("flight_on"))}
    elif kind == "reintegration_support":
        sentence = _label(ReintegrationSupport, "kind", data.get("support_kind"))
        if data.get("delivered_on"):
            sentence += " · " + gettext("delivered %(day)s") % {"day": _day(data["delivered_on"])}
    elif kind == "follow_up_contact":
        sentence = gettext("month %(month)s: %(count)s") % {
            "month": data.get("month"), "count": gettext("reached") if data.get("reached") else gettext("not reached")}
    elif kind == "vulnerability":
        labels = [Vulnerability.flag_label(f) for f in data.get("flags", []) if f in Vulnerability.FLAGS]
        sentence = capfirst(", ".join(labels)) or gettext("No vulnerability recorded.")
    elif kind == "fitness_opinion":
        sentence = (gettext("Unfit to travel since %(since)s") % {"since": _day(data.get("given_on"))} if data.get("unfit")
                    else gettext("The unfit-to-travel opinion is lifted."))
    elif kind == "removal_planned":
        sentence = _day(data.get("planned_on")) + (f" · {data['flight_reference']}" if data.get("flight_reference") else "")
    elif kind == "removal_outcome":
        sentence = _label(RemovalOperation, "status", data.get("status"))
    elif kind == "document_added":
        sentence = _label(CaseDocument, "kind", data.get("document_kind"))
    note = event.note or ""
    return "\n".join(part for part in (sentence, note) if part)
