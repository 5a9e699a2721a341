"""What each kind of legal procedure means, declared in one place.

Every service, guard, API default and view reads this table: whether a procedure suspends
removal by itself, and what a *granted* decision does to the trajectory. A kind of procedure
without an entry here is a bug (``tests/cases/test_procedure_kinds.py`` fails).

Sources: DESIGN §2 and issue 9 (which procedures suspend removal, what a route to stay is); the
articles named per kind are listed with their status in ``docs/legal.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """The kinds of procedure (``LegalProcedure.Kind``); each has its meaning in :data:`KINDS` below,
    checked when this module loads. A new kind: a member here, its entry in KINDS, a migration
    (``makemigrations``: the field's choices), its row in ``docs/legal.md``."""

    ASYLUM_APPLICATION = "asylum_application", _("Asylum application")
    ASYLUM_APPEAL = "asylum_appeal", _("Full-jurisdiction asylum appeal")
    ANNULMENT_SUSPENSION_APPEAL = "annulment_suspension_appeal", _("Annulment/suspension appeal against the order")
    EXTREME_URGENCY_REQUEST = "extreme_urgency_request", _("Extreme-urgency request")
    CASSATION_APPEAL = "cassation_appeal", _("Cassation appeal (Council of State)")
    REGULARISATION_9BIS = "regularisation_9bis", _("Humanitarian regularisation (9bis)")
    REGULARISATION_9TER = "regularisation_9ter", _("Medical regularisation (9ter)")
    FAMILY_REUNIFICATION = "family_reunification", _("Family reunification")
    BEST_INTEREST_PROCEDURE = "best_interest_procedure", _("Best-interest procedure (unaccompanied minor)")
    DUBLIN_TRANSFER = "dublin_transfer", _("Dublin transfer")


class Granted(StrEnum):
    """What a granted decision means for the person."""

    ROUTE_TO_STAY = "route_to_stay"  # the person may stay: the case can end as legal_stay_granted
    SUSPENSION_OF_REMOVAL = "suspension_of_removal"  # removal suspended, the order stands
    ORDER_ANNULLED = "order_annulled"  # the order to leave no longer exists
    TRANSFER_TO_MEMBER_STATE = "transfer_to_member_state"  # another member state takes charge (Dublin)
    NONE = "none"  # no direct effect on the trajectory (e.g. a cassation sends the case back)


@dataclass(frozen=True)
class ProcedureKind:
    suspensive_by_default: bool
    granted: Granted
    source: str


KINDS: dict[str, ProcedureKind] = {
    # An asylum application suspends removal while it is examined (Directive 2013/32/EU art. 9);
    # recognition or subsidiary protection is a right to stay.
    "asylum_application": ProcedureKind(True, Granted.ROUTE_TO_STAY, "Directive 2013/32/EU art. 9; Aliens Act art. 48/3, 48/4"),
    # The full-jurisdiction appeal against an asylum refusal is suspensive by law (Aliens Act art. 39/70).
    "asylum_appeal": ProcedureKind(True, Granted.ROUTE_TO_STAY, "Aliens Act art. 39/2 §1, 39/70"),
    # The annulment/suspension appeal against an order is not suspensive by itself; granted, it annuls the order.
    "annulment_suspension_appeal": ProcedureKind(False, Granted.ORDER_ANNULLED, "Aliens Act art. 39/2 §2, 39/82"),
    # An extreme-urgency request suspends removal while pending; granted, removal stays suspended.
    "extreme_urgency_request": ProcedureKind(True, Granted.SUSPENSION_OF_REMOVAL, "Aliens Act art. 39/82 §4, 39/85"),
    # A cassation appeal to the Council of State is not suspensive; granted, it sends the case back.
    "cassation_appeal": ProcedureKind(False, Granted.NONE, "Coordinated laws on the Council of State (cassation)"),
    # Humanitarian regularisation: no right to stay during the examination; granted, a residence permit.
    "regularisation_9bis": ProcedureKind(False, Granted.ROUTE_TO_STAY, "Aliens Act art. 9bis"),
    # Medical regularisation: suspensive once declared admissible (recorded then), granted: a permit.
    "regularisation_9ter": ProcedureKind(False, Granted.ROUTE_TO_STAY, "Aliens Act art. 9ter"),
    "family_reunification": ProcedureKind(False, Granted.ROUTE_TO_STAY, "Aliens Act art. 10, 40bis"),
    # The best-interest procedure of an unaccompanied minor looks for a durable solution; its
    # outcome is the best-interest decision on the case (stay = a route to stay), not "granted".
    "best_interest_procedure": ProcedureKind(True, Granted.NONE, "Return Directive 2008/115/EC art. 10"),
    # Dublin: another member state accepts to take charge; the case ends when the transfer is carried out.
    "dublin_transfer": ProcedureKind(False, Granted.TRANSFER_TO_MEMBER_STATE, "Regulation (EU) 604/2013 art. 29; Aliens Act art. 51/5"),
}


_UNDECLARED = sorted(set(Kind.values) ^ set(KINDS))
if _UNDECLARED:  # a kind without its meaning (or a meaning without its kind) is refused at start-up
    raise ImportError(f"cases.procedure_kinds: no single declaration for {', '.join(_UNDECLARED)}")


def kind(name: str) -> ProcedureKind:
    """The declaration of a kind; an unknown kind is a programming error (KeyError)."""
    return KINDS[name]


def is_suspensive_by_default(name: str) -> bool:
    return KINDS[name].suspensive_by_default if name in KINDS else False


def kinds_granting(meaning: Granted) -> tuple[str, ...]:
    return tuple(name for name, declared in KINDS.items() if declared.granted is meaning)
