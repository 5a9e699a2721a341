"""Who an incoming order is about, seen from the client that sends it (decision 020).

A match is *own* when the person already has a case with an order from the same client (or the
order comes from staff, ``client=None``); anything else is *foreign*. Orders only ever attach to
own matches: a foreign match, however strong, opens a new case and a possible duplicate for a
person to review, so that one client's order never reveals, changes or moves another client's
case.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import reduce

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, Value
from django.utils.translation import gettext as _

from cases.models import OrderToLeave, Person, PossibleDuplicate, fold_for_search
from cases.names import normalise_name
from returnpath.errors import Conflict
from returnpath.expressions import AnyOf
from returnpath.precompiled import precompiled


@dataclass(frozen=True)
class IdentityMatch:
    person: Person
    match: str  # PossibleDuplicate.Match
    own: bool


def _first(people: list[Person]) -> tuple[Person | None, Person | None]:
    """(the first own person, the first foreign person) among ``people``, oldest first: a
    foreign person only counts without an own one."""
    own = next((person for person in people if getattr(person, "own", False)), None)
    if own is not None:
        return own, None
    return None, (people[0] if people else None)


def _people(*, national_number: str = "", dossier_number: str = "", family_name: str = "", given_names: str = "",
            birth_date=None, nationality: str = "", client_id: int | None = None):
    """Everyone any of the given keys finds, oldest first, each saying which keys found them
    (``by_national_number``, ``by_dossier_number``, ``by_name``) and whether they are ``own``."""
    # Once a national number is given, the other keys only find people without one.
    unnumbered = Q(national_number="") if national_number else Q()
    keys: dict[str, Q] = {}
    if national_number:
        keys["by_national_number"] = Q(national_number=national_number)
    if dossier_number:
        keys["by_dossier_number"] = unnumbered & Q(dossier_number=dossier_number)
    if family_name:
        # Two dossier numbers are two people, as two national numbers are.
        keys["by_name"] = unnumbered & Q(
            family_name__iexact=family_name, given_names__iexact=given_names, birth_date=birth_date, nationality=nationality,
            **({"dossier_number": ""} if dossier_number else {}),
        )
    own: Value | AnyOf | Exists
    if client_id is None:
        own = Value(True)
    elif connection.vendor == "postgresql":
        # The clients of the person's own orders, read through the person (their cases, then those
        # cases' orders): never planned from the client's side. As an EXISTS the planner may hash
        # all of a client's orders once it believes the client has few, which it does until the
        # statistics count a new client's orders (tens of thousands of rows at national scale: a
        # match of 139 ms instead of 0.1 with 58,000 of them).
        own = AnyOf(Value(client_id), ArraySubquery(OrderToLeave.objects.filter(case__person=OuterRef("pk")).order_by().values("client_id")))
    else:
        own = Exists(OrderToLeave.objects.filter(case__person=OuterRef("pk"), client_id=client_id))
    return (
        Person.objects.filter(reduce(operator.or_, keys.values()))
        .annotate(own=own, **{name: ExpressionWrapper(q, output_field=BooleanField()) for name, q in keys.items()})
        .order_by("id")
    )


def match_person_for_order(
    *, client, national_number: str, dossier_number: str, family_name: str, birth_date, nationality: str,
    given_names: str = "",
) -> IdentityMatch | None:
    """National number, else dossier number, else the same name, birth date and nationality.

    Two different national numbers are two people, whatever else they share; "the same name" is
    the given names too (twins share the rest), compared NFC-normalised and case-insensitively.
    When in doubt, a new person: a duplicate case can be merged, a wrong merge mixes two files.

    One query reads everyone any of the three keys finds, each row saying (in SQL, so the
    comparison is the database's) which keys found it and whether it is the client's own; the
    keys are then tried in their order on those rows.
    """
    family_name, given_names = normalise_name(family_name), normalise_name(given_names)
    values: dict = {}
    if national_number:
        values["national_number"] = national_number
    if dossier_number:
        values["dossier_number"] = dossier_number
    if family_name and birth_date and nationality:
        values.update(family_name=family_name, given_names=given_names, birth_date=birth_date, nationality=nationality)
    if not values:
        return None
    if client is not None:
        values["client_id"] = client.pk
    # The SQL is compiled once per shape: which keys are given, and whether a client sends it.
    found = precompiled(("matching.people", *sorted(values)), _people, **values)
    if not found:
        return None

    def by(key: str) -> tuple[Person | None, Person | None]:
        return _first([person for person in found if getattr(person, key, False)])

    own_person, foreign = by("by_national_number")
    if (person := own_person or foreign) is not None:
        return IdentityMatch(person, PossibleDuplicate.Match.NATIONAL_NUMBER, own_person is not None)
    own_person, foreign = by("by_dossier_number")
    if (person := own_person or foreign) is not None:
        # A dossier number is typed by people: it only identifies someone whose name or birth
        # date agrees, or any order could attach itself (and its sender) to a stranger's case.
        same_name = fold_for_search(person.family_name) == fold_for_search(family_name)
        same_birth = bool(birth_date) and person.birth_date == birth_date
        if same_name or same_birth:
            return IdentityMatch(person, PossibleDuplicate.Match.DOSSIER_NUMBER, own_person is not None)
        if own_person is not None:
            raise Conflict(
                _("Dossier number %(number)s belongs to another person on record: check the number, the name and the birth date.")
                % {"number": dossier_number},
                code="dossier_number_conflict",
            )
        # Another client's person with this dossier number and nothing else in common: saying
        # so would tell this client that the number exists. A new person, no review.
    own_person, foreign = by("by_name")
    if (person := own_person or foreign) is not None:
        return IdentityMatch(person, PossibleDuplicate.Match.NAME, own_person is not None)
    return None
