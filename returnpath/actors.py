"""Who acts: a signed-in user, or ReturnPath itself (decision 100).

Every service takes ``actor: Actor``. When nobody in particular acts — a sweep, a timer, a
Celery task, the law taking a step over the workflow — the caller passes :data:`SYSTEM`, never
``None``, and never a ``system=True`` flag beside a user. A system step set off by someone's
report (a court decision posted through the API) is ``SYSTEM.on_report_of(user)``: the step is
taken as the system (no permission check, ReturnPath on the timeline) and the event says whose
report it was.
"""

from __future__ import annotations

from typing import Final, TypeAlias

# The project's user model (AUTH_USER_MODEL is not swapped). Imported here so that annotations
# name it: ``User = get_user_model()`` is a variable, which a type checker cannot use as a type.
from django.contrib.auth.models import User

# What the timeline, the history pages and exports show for the system (stored in events).
SYSTEM_LABEL: Final = "ReturnPath"


class SystemActor:
    """ReturnPath itself. Not a user: it holds no permission and is never stored as a user."""

    __slots__ = ("reported_by",)

    # Like Django's AnonymousUser, so ``actor.is_authenticated`` reads the same for both kinds.
    is_authenticated: Final = False
    label: Final = SYSTEM_LABEL

    def __init__(self, reported_by: User | None = None) -> None:
        self.reported_by = reported_by

    def on_report_of(self, actor: Actor) -> SystemActor:
        """The system acting because ``actor`` reported a fact (the system on its own if ``actor`` is)."""
        return actor if isinstance(actor, SystemActor) else SystemActor(reported_by=actor)

    def __repr__(self) -> str:
        return "SYSTEM" if self.reported_by is None else f"SYSTEM.on_report_of({self.reported_by!r})"


SYSTEM: Final = SystemActor()

Actor: TypeAlias = User | SystemActor


def is_system(actor: Actor) -> bool:
    return isinstance(actor, SystemActor)


def reporter_of(actor: Actor) -> Actor:
    """Who set the step off: the user whose report made the system act, else the actor itself.

    What follows a system step (planned conversations cancelled, a placement ended) is recorded
    under the reporter, as it was before the convention (decision 100).
    """
    if isinstance(actor, SystemActor) and actor.reported_by is not None:
        return actor.reported_by
    return actor


def user_of(actor: Actor) -> User | None:
    """The user to store in a "who did it" column: none for the system."""
    return None if isinstance(actor, SystemActor) else actor
