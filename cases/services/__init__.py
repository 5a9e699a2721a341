"""Every write to cases. Keyword-only, atomic, the acting user passed in (STYLE.md)."""

from cases.services import minors
from cases.services.detention_decisions import confirm_detention_decision, extend_detention, refuse_detention_decision
from cases.services.events import record_event
from cases.services.minors import record_guardian, record_guardian_agreement, review_coming_of_age
from cases.services.orders import OrderData, OrderResult, PersonData, open_case_from_order
from cases.services.placements import end_placement, place_in_facility
from cases.services.procedures import decide_procedure, record_best_interest_decision, record_procedure
from cases.services.staffing import assign_case, reassign_case, update_address
from cases.services.terms import record_term_decision
from cases.services.transitions import (
    TransitionCheck,
    agree_voluntary_return,
    check_transitions,
    close_case,
    confirm_departure,
    confirm_removal,
    decline_proposal,
    escalate_to_forced_return,
    escalation_proposal_refusals,
    grant_legal_stay,
    lose_contact,
    open_legal_stay_review,
    propose_escalation,
    propose_lose_contact,
    re_establish_contact,
    require_transition,
    resume_orientation,
    start_orientation,
    take_transition,
    transition_refusals,
    withdraw_voluntary_return,
)

__all__ = [
    "OrderData",
    "OrderResult",
    "PersonData",
    "TransitionCheck",
    "agree_voluntary_return",
    "assign_case",
    "check_transitions",
    "close_case",
    "confirm_departure",
    "confirm_detention_decision",
    "confirm_removal",
    "decide_procedure",
    "decline_proposal",
    "end_placement",
    "escalate_to_forced_return",
    "escalation_proposal_refusals",
    "extend_detention",
    "grant_legal_stay",
    "lose_contact",
    "minors",
    "open_case_from_order",
    "open_legal_stay_review",
    "place_in_facility",
    "propose_escalation",
    "propose_lose_contact",
    "re_establish_contact",
    "reassign_case",
    "record_best_interest_decision",
    "record_event",
    "record_guardian",
    "record_guardian_agreement",
    "record_procedure",
    "record_term_decision",
    "refuse_detention_decision",
    "require_transition",
    "resume_orientation",
    "review_coming_of_age",
    "start_orientation",
    "take_transition",
    "transition_refusals",
    "update_address",
    "withdraw_voluntary_return",
]
