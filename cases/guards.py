"""Guards of the case trajectory.

Each guard is a small named function that reads the case (and what is loaded with it) and
answers True when the step is allowed. Its ``refusal`` is the sentence a counsellor reads when it
is not. django-fsm runs them as transition conditions; :func:`cases.services.require_transition`
runs *all* of them to report every reason at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, cast

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from cases.models import Case


def _playbook(case: Case):
    from cases.models import Playbook  # cases.models imports the guards (through cases.steps)

    return Playbook.for_case(case)


class Guard(Protocol):
    """A guard: the condition on the case, with the sentence given when it does not hold."""

    refusal: str | Promise
    # The sentence worded with the case's own numbers, where a guard has one (see refusal_text).
    refusal_for: Callable[[Case], str] | None

    def __call__(self, case: Case, /) -> bool: ...


class Permission(Protocol):
    """A transition permission (django-fsm calls it with the case and the user)."""

    refusal: str | Promise
    perm: str

    def __call__(self, instance: Any, user: Any, /) -> bool: ...


def guard(refusal: str | Promise) -> Callable[[Callable[[Case], bool]], Guard]:
    def decorate(fn: Callable[[Case], bool]) -> Guard:
        guarded = cast(Guard, fn)  # the function itself, with its sentence as an attribute
        guarded.refusal = refusal
        guarded.refusal_for = None
        return guarded

    return decorate


@guard(_("An office and a counsellor must be assigned first."))
def has_office_and_counsellor(case: Case) -> bool:
    return bool(case.office_id and case.counsellor_id)


@guard(_("The intake conversation has not been held yet."))
def intake_held(case: Case) -> bool:
    return case.held_conversations >= 1


@guard(_("No pending legal procedure is on record."))
def has_pending_procedure(case: Case) -> bool:
    return case.pending_procedures > 0


@guard(_("A suspensive legal procedure is still pending: the person may not be removed while it runs."))
def has_no_pending_suspensive_procedure(case: Case) -> bool:
    return case.pending_suspensive_procedures == 0


@guard(_("No legal procedure has been granted."))
def has_granted_procedure(case: Case) -> bool:
    return case.granted_procedures > 0


def route_to_stay_granted(case: Case) -> bool:
    """A granted asylum, regularisation or family reunification, or a best-interest decision
    "stay" (what a granted decision means: ``cases.procedure_kinds``)."""
    return case.granted_routes_to_stay > 0 or case.best_interest_outcome == case.BestInterest.STAY


@guard(_("No pending legal procedure and no granted route to legal stay is on record."))
def has_pending_procedure_or_granted_route(case: Case) -> bool:
    return case.pending_procedures > 0 or route_to_stay_granted(case)


@guard(
    _(
        "No route to legal stay was granted (asylum, regularisation, family reunification or a best-interest "
        "decision to stay); a suspension of removal, an annulment, a cassation or a Dublin decision does not end "
        "the case as legal stay."
    )
)
def has_granted_route_to_stay(case: Case) -> bool:
    return route_to_stay_granted(case)


@guard(
    _(
        "A route to legal stay was granted (asylum, regularisation, family reunification or a best-interest "
        "decision to stay): the person may not be returned against their will."
    )
)
def no_granted_route_to_stay(case: Case) -> bool:
    return not route_to_stay_granted(case)


@guard(
    _(
        "A granted extreme-urgency request or an annulment of the order bars removal."
    )
)
def removal_not_barred(case: Case) -> bool:
    return case.removal_barred == 0


@guard(
    _(
        "Another case may be about the same person and has not been reviewed yet: a manager must merge or "
        "dismiss the possible duplicate first (a procedure pending there may suspend removal)."
    )
)
def no_unreviewed_duplicate(case: Case) -> bool:
    return case.unreviewed_duplicates == 0


@guard(_("The person's agreement to return voluntarily has not been recorded in a held conversation."))
def voluntary_return_agreed(case: Case) -> bool:
    return case.voluntary_return_agreed_at is not None


@guard(
    _(
        "The period for voluntary departure has not ended yet (as extended). Escalating earlier needs an order with "
        "a term under 7 days or a recorded decision shortening the period (Return Directive art. 7(4) and 8(2); "
        "Aliens Act art. 74/14 §3); a public-order flag alone does not cut a granted period short."
    )
)
def departure_deadline_passed_or_cut_short(case: Case) -> bool:
    if case.early_escalation_ground:
        return True
    return case.departure_deadline is not None and case.departure_deadline < timezone.localdate()


@guard(
    _(
        "Voluntary return has not yet been offered and refused in enough held conversations "
        "(see the target group's playbook), and no public-order or nuisance flag waives this."
    )
)
def enough_refusals_unless_flagged(case: Case) -> bool:
    if case.public_order or case.nuisance:
        return True
    minimum = _playbook(case).min_conversations_before_escalation
    if minimum is None:
        # The playbook replaces the minimum by a best-interest decision for return (unaccompanied
        # minors): for a minor, best_interest_decided_for_return gives the one true reason.
        return case.unaccompanied_minor or case.best_interest_outcome == case.BestInterest.RETURN
    return case.voluntary_return_refusals >= minimum


def _refusals_in_numbers(case: Case) -> str:
    minimum = _playbook(case).min_conversations_before_escalation
    if minimum is None:
        return str(enough_refusals_unless_flagged.refusal)
    return gettext(
        "Voluntary return was offered and refused in %(done)s held conversation(s); the playbook of this target group "
        "asks for %(needed)s before escalating (a public-order or nuisance flag waives this)."
    ) % {"done": case.voluntary_return_refusals, "needed": minimum}


enough_refusals_unless_flagged.refusal_for = _refusals_in_numbers


@guard(_("An unaccompanied minor may only be escalated after a best-interest decision for return."))
def best_interest_decided_for_return(case: Case) -> bool:
    if not case.unaccompanied_minor:
        return True
    return case.best_interest_outcome == case.BestInterest.RETURN


@guard(
    _(
        "An unaccompanied minor returns only with the guardian's recorded agreement and after a best-interest "
        "decision for return (Return Directive art. 10)."
    )
)
def minor_return_agreed_by_guardian_and_best_interest(case: Case) -> bool:
    if not case.unaccompanied_minor:
        return True
    return case.guardian_agreed_return_on is not None and case.best_interest_outcome == case.BestInterest.RETURN


@guard(_("Contact is not lost yet: not enough consecutive no-shows (see the playbook) and the address is not confirmed invalid."))
def contact_lost(case: Case) -> bool:
    limit = _playbook(case).no_shows_before_lose_contact
    return case.consecutive_no_shows >= limit or case.person.address_invalid


def _no_shows_in_numbers(case: Case) -> str:
    limit = _playbook(case).no_shows_before_lose_contact
    return gettext(
        "Contact is not lost yet: %(count)s consecutive no-show(s) where the playbook asks for %(limit)s, and the address is "
        "not confirmed invalid."
    ) % {"count": case.consecutive_no_shows, "limit": limit}


contact_lost.refusal_for = _no_shows_in_numbers


@guard(_("Contact has not been re-established: record a held conversation or a new address first."))
def contact_re_established(case: Case) -> bool:
    since = case.state_entered_at
    return bool(
        (case.last_contact_at and case.last_contact_at > since)
        or (case.person.address_updated_at and case.person.address_updated_at > since and not case.person.address_invalid)
    )


def refusal_text(condition, case: Case) -> str:
    """The sentence a failing guard gives, worded with the case's own numbers where it can."""
    refusal_for = getattr(condition, "refusal_for", None)
    return refusal_for(case) if refusal_for else str(condition.refusal)


def permission(perm: str, refusal: str | Promise) -> Permission:
    """A transition permission tied to a role's permission (assigned to groups, not in code)."""

    def check(instance, user) -> bool:
        return bool(user and user.is_active and user.has_perm(perm))

    permitted = cast(Permission, check)  # the function itself, with its sentence and permission as attributes
    permitted.refusal = refusal
    permitted.perm = perm
    return permitted


may_counsel = permission("cases.counsel_case", _("Only a counsellor or office manager may take this step."))
may_escalate = permission("cases.escalate_case", _("Only an office manager may decide an escalation to forced return."))
may_decide = permission("cases.decide_case", _("Only an office manager may decide this step."))
may_record_legal = permission("cases.record_legal_event", _("You may not record legal events or outcomes."))
