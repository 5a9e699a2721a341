"""What the case page shows: every list it needs read in one round trip (decision 071), the steps
with their forms, and the parts of the law's and the return work's pages. The views in
``cases.views`` render it."""

from __future__ import annotations

from django.db.models import IntegerField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from cases import forms, services
from cases.conversations import is_planned, page_conversations
from cases.models import TERMINAL_STATES, Case, Placement
from cases.returns.page import returns_context
from cases.returns.selectors import page_querysets as returns_page_querysets
from cases.selectors import deadline_explanation
from cases.selectors_legal import page_querysets as legal_page_querysets
from cases.views_legal import legal_context
from returnpath.preload import preload, rows

TIMELINE_PAGE = 20


def _timeline_events(case: Case, page: int):
    offset = (page - 1) * TIMELINE_PAGE
    return case.events.select_related("actor")[offset : offset + TIMELINE_PAGE + 1]


def _conversations(case: Case, page: int):
    """The planned conversation and those the timeline page's events name, in one read."""
    named = _timeline_events(case, page).annotate(
        conversation_id=Cast(KT("data__conversation"), IntegerField())).values("conversation_id")
    return page_conversations(case, named)


def _page_conversations(case: Case, page: int) -> list:
    conversations = _conversations(case, page)
    return rows(case, conversations) if conversations is not None else []


def timeline(case: Case, page: int, *, conversations: list | None = None):
    """A page of the timeline, each event with the conversation it names (``conversations``: the
    page's, when the caller has them already)."""
    events = rows(case, _timeline_events(case, page))
    has_more = len(events) > TIMELINE_PAGE
    events = events[:TIMELINE_PAGE]
    ids = {e.data.get("conversation") for e in events if isinstance(e.data, dict) and e.data.get("conversation")}
    if ids and conversations is None:
        conversations = _page_conversations(case, page)
    by_id = {c.pk: c for c in conversations or ()} if ids else {}
    for event in events:
        event.conversation = by_id.get(event.data.get("conversation")) if isinstance(event.data, dict) else None
    return events, has_more


def _placements(case: Case) -> list[Placement]:
    return rows(case, case.placements.select_related("facility"))


def case_page_querysets(case: Case, page: int) -> list:
    """Every list the case page shows; :func:`returnpath.preload.preload` reads them in one round
    trip (decision 071) and each selector still asks for its own rows and gets them from there."""
    return [
        case.orders.all(), case.procedures.all(), _timeline_events(case, page), _conversations(case, page),
        case.placements.select_related("facility"), *legal_page_querysets(case), *returns_page_querysets(case),
    ]


def case_context(request, case: Case, *, bound: dict | None = None, error_section: str = "", domain_error=None) -> dict:
    bound = bound or {}
    user = request.user
    try:
        page = max(1, int(request.GET.get("timeline", 1)))
    except ValueError:
        page = 1
    preload(case, case_page_querysets(case, page))
    orders = rows(case, case.orders.all())
    procedures = rows(case, case.procedures.all())
    # The steps this user can take now first; the others follow with the reasons why not.
    # Steps that end the trajectory (departure, closing...) after the ones that continue it.
    checks = sorted(services.check_transitions(case, user), key=lambda check: (not check.allowed, check.target in TERMINAL_STATES))
    transition_forms = {}
    for check in checks:
        key = f"transition:{check.name}"
        transition_forms[check.name] = bound.get(key) or forms.TransitionForm(
            name=check.name, inputs=check.inputs, initial={"expected_state": case.state}
        )
        check.form = transition_forms[check.name]
    escalation = next((c for c in checks if c.name == "escalate_to_forced_return"), None)
    conversations = _page_conversations(case, page)
    events, timeline_more = timeline(case, page, conversations=conversations)
    # One planned conversation per case at most (a constraint): it is among the page's conversations.
    planned = next((c for c in conversations if is_planned(c)), None) if case.is_open else None
    decide_forms = {
        p.pk: bound.get(f"decide:{p.pk}") or forms.DecideProcedureForm(prefix=f"decide-{p.pk}", initial={"decided_on": timezone.localdate()})
        for p in procedures if p.is_pending
    }
    for procedure in procedures:
        procedure.decide_form = decide_forms.get(procedure.pk)
    placements = _placements(case)
    for placement in placements:
        placement.end_form = bound.get(f"end_placement:{placement.pk}") or forms.EndPlacementForm(
            prefix=f"end-{placement.pk}", initial={"ended_on": timezone.localdate()}
        )
    return {
        **legal_context(case, orders=orders, bound=bound),
        "case": case,
        "person": case.person,
        "orders": orders,
        "deadline_lines": deadline_explanation(case, orders),
        "procedures": procedures,
        "placements": placements,
        "checks": checks,
        "escalation_check": escalation,
        # A manager escalates directly; a counsellor proposes and the manager decides.
        "can_propose_escalation": (
            escalation is not None and not escalation.permitted and not services.escalation_proposal_refusals(case, user)
        ),
        "propose_form": bound.get("propose") or forms.ProposeEscalationForm(),
        "decline_escalation_form": bound.get("decline:escalation") or forms.DeclineProposalForm(prefix="decline-escalation"),
        "decline_lose_contact_form": bound.get("decline:lose_contact") or forms.DeclineProposalForm(prefix="decline-lose_contact"),
        "procedure_form": bound.get("procedure") or forms.ProcedureForm(initial={"lodged_on": timezone.localdate()}),
        "placement_form": bound.get("placement") or forms.PlacementForm(initial={"started_on": timezone.localdate()}),
        "address_form": bound.get("address") or forms.AddressForm(initial={
            "street": case.person.street, "postcode": case.person.postcode, "municipality": case.person.municipality,
            "invalid": case.person.address_invalid,
        }),
        "best_interest_form": bound.get("best_interest") or forms.BestInterestForm(initial={"outcome": case.best_interest_outcome}),
        "planned": planned,
        # A conversation's outcome can be logged from its day on (counselling.services says the same).
        "planned_is_due": planned is not None and timezone.localdate(planned.planned_at) <= timezone.localdate(),
        "events": events,
        "timeline_page": page,
        "timeline_more": timeline_more,
        "error_section": error_section,
        "domain_error": domain_error,
        "today": timezone.localdate(),
        "nav": "caseload",
        **returns_context(case, user, bound),  # the return itself (cases.returns)
    }
