"""Each kind of procedure declares in one place what its decisions mean (issue 9 point 1)."""

import pytest

from cases import legal
from cases.models import LegalProcedure
from cases.procedure_kinds import KINDS, Granted, kind


def test_every_kind_of_procedure_has_a_declaration():
    assert set(LegalProcedure.Kind.values) == set(KINDS), "a kind of procedure without an entry in cases.procedure_kinds"


# Each row a fact from the law, written here by hand (not read from the code).
MEANINGS = [
    ("asylum_application", True, Granted.ROUTE_TO_STAY),  # Aliens Act art. 48/3, 48/4; suspensive while examined
    ("asylum_appeal", True, Granted.ROUTE_TO_STAY),  # Aliens Act art. 39/70: full-jurisdiction appeal suspends removal
    ("annulment_suspension_appeal", False, Granted.ORDER_ANNULLED),  # Aliens Act art. 39/2 §2: not suspensive by itself
    ("extreme_urgency_request", True, Granted.SUSPENSION_OF_REMOVAL),  # Aliens Act art. 39/82 §4
    ("cassation_appeal", False, Granted.NONE),  # Council of State: not suspensive, sends the case back
    ("regularisation_9bis", False, Granted.ROUTE_TO_STAY),  # Aliens Act art. 9bis: no stay during examination
    ("regularisation_9ter", False, Granted.ROUTE_TO_STAY),  # Aliens Act art. 9ter: suspensive once admissible
    ("family_reunification", False, Granted.ROUTE_TO_STAY),  # Aliens Act art. 10
    ("best_interest_procedure", True, Granted.NONE),  # outcome is the best-interest decision (Directive art. 10)
    ("dublin_transfer", False, Granted.TRANSFER_TO_MEMBER_STATE),  # Regulation 604/2013 art. 29
]


def test_every_kind_of_procedure_has_its_legal_meaning_stated_here():
    """A new kind fails here until its meaning (suspensive? what a grant does?) is a row of MEANINGS."""
    stated = [name for name, _suspensive, _granted in MEANINGS]
    assert len(stated) == len(set(stated)), "a kind stated twice"
    assert set(LegalProcedure.Kind.values) - set(stated) == set(), "a kind of procedure without its legal meaning in MEANINGS"
    assert set(stated) <= set(LegalProcedure.Kind.values), "a meaning for a kind that does not exist"


@pytest.mark.parametrize(("name", "suspensive", "granted"), MEANINGS)
def test_what_each_kind_means(name, suspensive, granted):
    assert kind(name).suspensive_by_default is suspensive
    assert kind(name).granted is granted
    assert legal.is_suspensive_by_default(name) is suspensive
    assert kind(name).source
