"""What follows a step of the case core (decision 090).

The core may not call the apps built on it (``counselling → cases → offices``), yet a case that
opens needs its intake, a case that ends keeps no planned conversation, a reassigned case takes
its planned conversation along. Each point where a case service hands over is declared here,
once, as a typed step; the service runs it by name at the end of its work
(``followups.run(CaseOpened(case=case, actor=actor))``) and the apps register what follows in
their ``AppConfig.ready``:

================  ===================================  ==============================================
step              run by                               what follows (registered by)
================  ===================================  ==============================================
CaseOpened        ``open_case_from_order``             plan the intake after commit (counselling)
CasesOpened       the bulk order path (decisions 062,  one task plans all the intakes (counselling)
                  112), for each case's CaseOpened
                  and first CaseAssigned
CaseAssigned      assignment, reassignment             hand the planned conversation over or cancel
                                                       it (counselling)
StateChanged      every trajectory step, the close of  the return work follows (cases.returns);
                  a duplicate                          cancel the planned conversation or plan the
                                                       next one (counselling)
================  ===================================  ==============================================

Followers run in registration order *inside* the service's transaction, with the case row
locked: they keep their own rows consistent with the step, and an exception rolls the step
back. Anything outside the database (a Celery task, a message) they queue with
``transaction.on_commit``. Unlike a Django signal, a step that nobody declared cannot be run,
the payload is a typed object, and the table above is the whole list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from cases.models import Case
from offices.models import Office
from returnpath.actors import Actor, User


@dataclass(frozen=True)
class CaseOpened:
    case: Case
    actor: Actor  # a user, or SYSTEM (returnpath.actors)


@dataclass(frozen=True)
class CasesOpened:
    """Many cases opened at once by the bulk order path: followers act per batch. It stands for
    each case's ``CaseOpened`` and first ``CaseAssigned`` (decision 112)."""

    case_ids: Sequence[int]
    actor: Actor


@dataclass(frozen=True)
class CaseAssigned:
    case: Case
    actor: Actor
    office: Office | None
    counsellor: User | None  # the new counsellor
    # A new case's first assignment: nothing is planned for it yet.
    first: bool = False


@dataclass(frozen=True)
class StateChanged:
    case: Case
    actor: Actor
    from_state: str
    to_state: str


Step = CaseOpened | CasesOpened | CaseAssigned | StateChanged
S = TypeVar("S", CaseOpened, CasesOpened, CaseAssigned, StateChanged)

_FOLLOWERS: dict[type, list[Callable[[Any], None]]] = {CaseOpened: [], CasesOpened: [], CaseAssigned: [], StateChanged: []}


def register(step: type[S], follower: Callable[[S], None]) -> None:
    """Add what follows ``step`` (once: ``AppConfig.ready`` may run more than once in tests)."""
    followers = _FOLLOWERS[step]
    if follower not in followers:
        followers.append(follower)


def run(step: Step) -> None:
    """Run what follows ``step``, in registration order, inside the caller's transaction."""
    for follower in _FOLLOWERS[type(step)]:
        follower(step)


def followers(step: type[S]) -> tuple[Callable[[S], None], ...]:
    """What is registered for ``step`` (for the tests and for anyone reading the flow)."""
    return tuple(_FOLLOWERS[step])
