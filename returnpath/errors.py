"""The one domain error type, and its few specialisations.

Services raise these; the API maps them to problem+json (400/403/404/409), the browser to a
form error or a message. Messages are sentences a counsellor or an integrator can act on.
"""

from __future__ import annotations

from collections.abc import Sequence


class DomainError(Exception):
    """A business rule refused the request. ``code`` is machine-readable, ``message`` human."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, details: Sequence[str] = ()):
        super().__init__(str(message))
        self.message = str(message)
        if code:
            self.code = code
        self.details = [str(d) for d in details]

    def __str__(self) -> str:
        if self.details:
            return f"{self.message} " + " ".join(self.details)
        return self.message


class TransitionRefused(DomainError):
    """A trajectory step is not allowed now; ``details`` lists every failing guard."""

    status = 409
    code = "transition_refused"


class Conflict(DomainError):
    """Someone else changed the same thing meanwhile, or the request contradicts what exists."""

    status = 409
    code = "conflict"
