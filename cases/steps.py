"""The trajectory's steps, each declared once (decision 080).

A step is the whole fact: its name, the label a counsellor reads, where it may start, where it
ends, who may take it, the guards that must hold, what the person taking it must give, and the
service that takes it. Everything else reads this table:

- ``Case``'s ``@transition`` methods get their edges, guards and permission from it
  (:func:`transition`); the method itself only changes the fields in memory;
- the case page's list of steps, the generic step form and its view
  (``cases.services.transitions.check_transitions``, ``cases.views.take_step``);
- the refusals of the services and the API (``transition_refusals``);
- the drawing on the case page and ``manage.py trajectory_diagram`` (``docs/trajectory.md``);
- the tests (``tests/cases/test_steps.py`` checks the table against the FSM graph of ``Case``
  and against the services; ``tests/cases/test_transitions.py`` checks it against DESIGN §3).

Adding a step: one ``Step`` below, the ``Case`` method of the same name decorated with
``@steps.transition(state)``, the service named in ``service``, and a row in the DESIGN table
of ``tests/cases/test_transitions.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django_fsm import transition as fsm_transition

from cases import guards as g
from cases.returns import guards as return_guards
from cases.states import OPEN_STATES, State

Guard = Callable[[Any], bool]


@dataclass(frozen=True)
class Step:
    name: str
    label: str | Promise
    sources: tuple[State, ...]
    target: State
    permission: g.Permission
    guards: tuple[Guard, ...] = ()
    # What the person taking the step must give: the browser asks for it, the service requires it.
    inputs: tuple[str, ...] = ()
    # The service in ``cases.services`` that takes the step (default: the step's name).
    service: str = ""

    @property
    def service_name(self) -> str:
        return self.service or self.name

    @property
    def edges(self) -> tuple[tuple[State, State], ...]:
        return tuple((source, self.target) for source in self.sources)


# In the order of DESIGN §3: the case page, the diagram and docs/trajectory.md list them so.
_DECLARED = (
    Step(
        "start_orientation", _("Start orientation"),
        sources=(State.REGISTERED,), target=State.ORIENTATION,
        permission=g.may_counsel, guards=(g.has_office_and_counsellor, g.intake_held),
    ),
    Step(
        "open_legal_stay_review", _("Open legal stay review"),
        sources=(State.ORIENTATION, State.VOLUNTARY_RETURN, State.FORCED_RETURN, State.UNTRACEABLE),
        target=State.LEGAL_STAY_REVIEW,
        permission=g.may_counsel, guards=(g.has_pending_procedure_or_granted_route,),
    ),
    Step(
        "resume_orientation", _("Resume orientation"),
        sources=(State.LEGAL_STAY_REVIEW,), target=State.ORIENTATION,
        permission=g.may_counsel, guards=(g.has_no_pending_suspensive_procedure, g.no_granted_route_to_stay),
        inputs=("new_departure_deadline",),
    ),
    Step(
        "grant_legal_stay", _("Grant legal stay"),
        sources=(State.LEGAL_STAY_REVIEW,), target=State.LEGAL_STAY_GRANTED,
        permission=g.may_record_legal, guards=(g.has_granted_route_to_stay,),
    ),
    Step(
        "agree_voluntary_return", _("Agree voluntary return"),
        sources=(State.ORIENTATION, State.FORCED_RETURN), target=State.VOLUNTARY_RETURN,
        permission=g.may_counsel, guards=(g.voluntary_return_agreed, g.minor_return_agreed_by_guardian_and_best_interest),
    ),
    Step(
        "withdraw_voluntary_return", _("Withdraw voluntary return"),
        sources=(State.VOLUNTARY_RETURN,), target=State.ORIENTATION,
        permission=g.may_counsel, inputs=("reason",),
    ),
    Step(
        "confirm_departure", _("Confirm departure"),
        sources=(State.ORIENTATION, State.VOLUNTARY_RETURN), target=State.DEPARTED,
        permission=g.may_record_legal, guards=(g.minor_return_agreed_by_guardian_and_best_interest,),
        inputs=("departed_on", "evidence", "destination_country"),
    ),
    Step(
        "escalate_to_forced_return", _("Escalate to forced return"),
        sources=(State.ORIENTATION, State.VOLUNTARY_RETURN), target=State.FORCED_RETURN,
        permission=g.may_escalate,
        guards=(
            g.has_no_pending_suspensive_procedure,
            g.no_granted_route_to_stay,
            g.removal_not_barred,
            g.no_unreviewed_duplicate,
            g.departure_deadline_passed_or_cut_short,
            g.enough_refusals_unless_flagged,
            g.best_interest_decided_for_return,
        ),
        inputs=("motivation",),
    ),
    Step(
        "confirm_removal", _("Confirm removal"),
        sources=(State.FORCED_RETURN,), target=State.REMOVED,
        permission=g.may_record_legal,
        guards=(
            g.has_no_pending_suspensive_procedure,
            g.no_granted_route_to_stay,
            g.removal_not_barred,
            g.no_unreviewed_duplicate,
            return_guards.fit_to_travel,
        ),
        inputs=("removed_on",),
    ),
    Step(
        "lose_contact", _("Mark untraceable"),
        sources=(State.REGISTERED, State.ORIENTATION, State.VOLUNTARY_RETURN), target=State.UNTRACEABLE,
        permission=g.may_decide, guards=(g.contact_lost,),
    ),
    Step(
        "re_establish_contact", _("Re-establish contact"),
        sources=(State.UNTRACEABLE,), target=State.ORIENTATION,
        permission=g.may_counsel, guards=(g.contact_re_established,),
    ),
    Step(
        "close", _("Close case"),
        sources=OPEN_STATES, target=State.CLOSED,
        permission=g.may_decide, inputs=("reason", "note"), service="close_case",
    ),
)

STEPS: dict[str, Step] = {step.name: step for step in _DECLARED}
assert len(STEPS) == len(_DECLARED), "two steps with one name"

# Where losing contact may be proposed and decided: the no-show rule, its sweep and the managers' list.
LOSE_CONTACT_STATES: tuple[State, ...] = STEPS["lose_contact"].sources


def step(name: str) -> Step:
    """The declaration of a step; an unknown name is a programming error (KeyError)."""
    return STEPS[name]


def label(name: str) -> str:
    """The step's label in the reader's language (a name no longer declared is shown as written)."""
    declared = STEPS.get(name)
    return str(declared.label) if declared else name


def transition(field):
    """``@transition`` for the ``Case`` method named after a step, from the step's declaration.

    django-fsm keeps the graph it builds from these (``get_all_transitions``, ``graph_transitions``,
    ``can_proceed``); the facts are the registry's.
    """

    def decorate(method):
        declared = STEPS[method.__name__]
        return fsm_transition(
            field=field,
            source=[s.value for s in declared.sources],
            target=declared.target,
            conditions=list(declared.guards),
            permission=declared.permission,
        )(method)

    return decorate
