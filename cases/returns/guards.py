"""Guards of the return steps: small named functions with the sentence a counsellor reads.

``fit_to_travel`` is also a condition of the case's ``confirm_removal`` transition, so the
trajectory's own refusals list it with the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from cases.guards import guard

if TYPE_CHECKING:
    from cases.models import Case


@guard(_("A medical opinion says the person is unfit to travel: no removal step until it is lifted."))
def fit_to_travel(case: Case) -> bool:
    # The opinions live in their own table; the services keep the one in force on the case row.
    return case.unfit_to_travel_since is None


@guard(_("A removal operation can only be planned for a case in forced return."))
def in_forced_return(case: Case) -> bool:
    return case.state == "forced_return"


@guard(_("A suspensive legal procedure is still pending: the person may not be removed while it runs."))
def no_pending_suspensive_procedure(case: Case) -> bool:
    return case.pending_suspensive_procedures == 0


@guard(_("A referral to a return partner needs the case in voluntary return (the person's agreement recorded)."))
def in_voluntary_return(case: Case) -> bool:
    return case.state == "voluntary_return"


REMOVAL_GUARDS = (in_forced_return, no_pending_suspensive_procedure, fit_to_travel)
REFERRAL_GUARDS = (in_voluntary_return,)


def refusals(case: Case, guards) -> list[str]:
    return [str(g.refusal) for g in guards if not g(case)]
