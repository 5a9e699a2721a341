"""Who an incoming order is about, seen from the client that sends it (decision 020).

A match is *own* when the person already has a case with an order from the same client (or the
order comes from staff, ``client=None``); anything else is *foreign*. Orders only ever attach to
own matches: a foreign match, however strong, opens a new case and a possible duplicate for a
person to review, so that one client's order never reveals, changes or moves another client's
case.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from cases.models import OrderToLeave, Person, PossibleDuplicate, fold_for_search
from cases.names import normalise_name
from returnpath.errors import Conflict


@dataclass(frozen=True)
class IdentityMatch:
    person: Person
    match: str  # PossibleDuplicate.Match
    own: bool


def _split(people: QuerySet[Person], client) -> tuple[Person | None, Person | None]:
    """(the first own person, the first foreign person) among ``people``, oldest first.

    One query: own people first, then the oldest; a foreign person only counts without an own one.
    """
    people = people.order_by("id")
    if client is None:
        return people.first(), None
    first = (
        people.annotate(own=Exists(OrderToLeave.objects.filter(case__person=OuterRef("pk"), client=client)))
        .order_by("-own", "id")
        .first()
    )
    if first is None:
        return None, None
    return (first, None) if first.own else (None, first)


def match_person_for_order(
    *, client, national_number: str, dossier_number: str, family_name: str, birth_date, nationality: str,
    given_names: str = "",
) -> IdentityMatch | None:
    """National number, else dossier number, else the same name, birth date and nationality.

    Two different national numbers are two people, whatever else they share; "the same name" is
    the given names too (twins share the rest), compared NFC-normalised and case-insensitively.
    When in doubt, a new person: a duplicate case can be merged, a wrong merge mixes two files.
    """
    family_name, given_names = normalise_name(family_name), normalise_name(given_names)
    if national_number:
        own, foreign = _split(Person.objects.filter(national_number=national_number), client)
        if (found := own or foreign) is not None:
            return IdentityMatch(found, PossibleDuplicate.Match.NATIONAL_NUMBER, own is not None)
    candidates = Person.objects.all()
    if national_number:
        candidates = candidates.filter(national_number="")
    if dossier_number:
        own, foreign = _split(candidates.filter(dossier_number=dossier_number), client)
        person = own or foreign
        if person is not None:
            # A dossier number is typed by people: it only identifies someone whose name or birth
            # date agrees, or any order could attach itself (and its sender) to a stranger's case.
            same_name = fold_for_search(person.family_name) == fold_for_search(family_name)
            same_birth = bool(birth_date) and person.birth_date == birth_date
            if same_name or same_birth:
                return IdentityMatch(person, PossibleDuplicate.Match.DOSSIER_NUMBER, own is not None)
            if own is not None:
                raise Conflict(
                    _("Dossier number %(number)s belongs to another person on record: check the number, the name and the birth date.")
                    % {"number": dossier_number},
                    code="dossier_number_conflict",
                )
            # Another client's person with this dossier number and nothing else in common: saying
            # so would tell this client that the number exists. A new person, no review.
    if family_name and birth_date and nationality:
        matches = candidates.filter(
            family_name__iexact=family_name, given_names__iexact=given_names, birth_date=birth_date, nationality=nationality
        )
        if dossier_number:  # two dossier numbers are two people, as two national numbers are
            matches = matches.filter(dossier_number="")
        own, foreign = _split(matches, client)
        if (found := own or foreign) is not None:
            return IdentityMatch(found, PossibleDuplicate.Match.NAME, own is not None)
    return None
