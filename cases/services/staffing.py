"""Which office and counsellor follow a case, and the person's address."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, NamedTuple, Protocol, TypeAlias, TypedDict, TypeVar, cast

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import followups
from cases.models import Case, CaseEvent, CounsellorLoad
from cases.selectors import access_case
from cases.services.events import record_event
from cases.services.load import load_key, shift_load
from offices.models import Membership, Office, StaffProfile
from offices.selectors import office_by_code, office_for_postcode, province_for_postcode, regional_office_for_province
from returnpath.actors import Actor, User
from returnpath.errors import DomainError
from returnpath.expressions import AnyOf
from returnpath.precompiled import precompiled

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class _OpenCases(TypedDict):
        open_cases: int
        spoken: frozenset[str]

    # A counsellor as office_counsellors reads them: with their open cases from the load counters
    # and the languages they speak.
    Counsellor: TypeAlias = WithAnnotations[User, _OpenCases]

_COUNSELLOR_FIELDS = ("id", "username", "first_name", "last_name")


class _Member(NamedTuple):
    """One counsellor of an office's team as read, before a user is made of them."""

    id: int
    username: str
    first_name: str
    last_name: str
    open_cases: int
    spoken: frozenset[str]


def _counsellors_of(office_id: int, *, by_key: bool = False):
    """The office's active counsellors with their open cases from the load counters (decision
    060) — the office's counsellors, never their cases — and the languages they speak.

    ``by_key`` (PostgreSQL): the team's user ids first, each user's row, load and profile then
    read by key (about 70 index probes). Joined instead, the planner hashes the team against a
    scan of every user and every profile (2,000 each at national scale, half a millisecond of
    every order at 1M)."""
    team = Membership.objects.filter(office_id=office_id, role=Membership.Role.COUNSELLOR, is_active=True).values("user_id")
    users = User.objects.filter(is_active=True)
    users = users.filter(AnyOf(F("id"), ArraySubquery(team))) if by_key else users.filter(id__in=team)
    return users.annotate(
        open_cases=Coalesce(Subquery(CounsellorLoad.objects.filter(counsellor=OuterRef("pk")).values("open_cases")), Value(0)),
        languages=Subquery(StaffProfile.objects.filter(user=OuterRef("pk")).values("languages")),
    )


def _values(rows):
    return rows.values_list(*_COUNSELLOR_FIELDS, "open_cases", "languages")


def _member(row: tuple) -> _Member:
    pk, username, first_name, last_name, open_cases, languages = row
    return _Member(pk, username, first_name, last_name, open_cases, frozenset(languages or ()))


def _team(office: Office) -> list[_Member]:
    """The office's active counsellors with their open cases and their languages."""
    return [_member(row) for row in _values(_counsellors_of(office.pk))]


def _counsellor(member: _Member) -> Counsellor:
    user = User.from_db(None, _COUNSELLOR_FIELDS, member[:4])
    user.open_cases = member.open_cases  # type: ignore[attr-defined]  # what the Counsellor alias declares
    user.spoken = member.spoken  # type: ignore[attr-defined]
    return cast("Counsellor", user)


def office_counsellors(office: Office) -> list[Counsellor]:
    """The office's active counsellors, each with ``open_cases`` and ``spoken`` (for a batch,
    which counts the cases it gives them as it goes)."""
    return [_counsellor(row) for row in _team(office)]


def pick_lightest(counsellors: list[Counsellor], languages: list[str] | tuple[str, ...] = ()) -> Counsellor | None:
    """The one with the fewest open cases among those who speak one of ``languages`` (else among all)."""
    return lightest(candidates(counsellors, languages))


class _Candidate(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def open_cases(self) -> int: ...

    @property
    def spoken(self) -> frozenset[str]: ...


_C = TypeVar("_C", bound=_Candidate)


def candidates(counsellors: list[_C], languages: list[str] | tuple[str, ...] = ()) -> list[_C]:
    """Those of ``counsellors`` who speak one of ``languages``; all of them when nobody does. (The
    batch job keeps the list per office and languages and asks :func:`lightest` each time.)"""
    wanted = set(languages)
    speaking = [user for user in counsellors if not wanted.isdisjoint(user.spoken)]
    return speaking or counsellors


def lightest(counsellors: list[_C]) -> _C | None:
    """The one with the fewest open cases (the lowest id on a tie)."""
    return min(counsellors, key=lambda u: (u.open_cases, u.id)) if counsellors else None


def lightest_counsellor(*, office: Office, languages: list[str] | tuple[str, ...] = ()) -> Counsellor | None:
    """The office's counsellor with the fewest open cases, preferring one who speaks the person's
    language: :func:`candidates` then :func:`lightest`, chosen by the database (one row read, not
    the office's team of about 70 at national scale: issue 15, decision 115).

    Inside a transaction the choice passes over a counsellor whom another transaction is giving
    a case at this moment (their row locked, ``SKIP LOCKED``), and holds the chosen one until the
    commit (decision 122): that counsellor's count is about to grow, so concurrent orders of one
    office spread over its team instead of all choosing the same lightest counsellor and queuing
    on that counsellor's load counter. The language comes first: a busy counsellor who speaks it
    rather than a free one who does not. When every candidate is busy, the lightest of them all.
    """
    if connection.vendor != "postgresql":
        # SQLite (the demo): its JSON has no "any of these" for a list's elements (``has_any_keys``
        # reads an object's keys), so the team's rule runs here on the office's team.
        return pick_lightest(office_counsellors(office), languages)
    values = {"office_id": office.pk, **({"languages": list(languages)} if languages else {})}
    free = precompiled(("staffing.lightest", bool(languages), "free"), _lightest_free, **values) if connection.in_atomic_block else []
    if free and _speaks(free[0], languages):
        return _counsellor(_member(free[0]))
    # Nobody free, or the free one does not speak the person's language: the plain choice, which
    # is a speaker whenever the team has one (busy at this moment: worth the wait for the other
    # order's commit); when it is not, nobody speaks it and the free one stays.
    plain = precompiled(("staffing.lightest", bool(languages)), _lightest, **values)
    rows = plain if not free or _speaks(plain[0], languages) else free
    return _counsellor(_member(rows[0])) if rows else None


def _speaks(row: tuple, languages: list[str] | tuple[str, ...]) -> bool:
    """Whether the counsellor of ``row`` speaks one of ``languages`` (any counsellor, for none)."""
    return not languages or not _member(row).spoken.isdisjoint(languages)


def _lightest(*, office_id: int, languages: list[str] | None = None, free: bool = False):
    rows = _counsellors_of(office_id, by_key=True)
    order = ["open_cases", "id"]
    if languages:
        # Speaks one of them (jsonb ?|): first those who do, when anyone does; no profile, no language.
        rows = rows.annotate(speaks=Coalesce(ExpressionWrapper(Q(languages__has_any_keys=languages),
                                                               output_field=BooleanField()), Value(False)))
        order.insert(0, "-speaks")
    if free:
        # The counsellor's own row, FOR NO KEY UPDATE: it does not stop the FK checks of the cases
        # written meanwhile (KEY SHARE), only another choice of the same counsellor.
        rows = rows.select_for_update(skip_locked=True, no_key=True, of=("self",))
    return _values(rows.order_by(*order))[:1]


_lightest_free = functools.partial(_lightest, free=True)


def choose_office(*, postcode: str, issuing_region: str = "") -> Office | None:
    """The office serving the postcode; else the province's regional office (every Belgian postcode
    has a province); without a known address the issuing region's office; else the default."""
    office = office_for_postcode(postcode) if postcode else None
    if office is None and postcode:
        province = province_for_postcode(postcode)
        office = regional_office_for_province(province) if province else None
    if office is None and issuing_region:
        office = regional_office_for_province(issuing_region)
    if office is None:
        office = office_by_code(settings.RETURNPATH_DEFAULT_OFFICE_CODE)
    return office


def choose_assignment(*, person, issuing_region: str = "") -> tuple[Office | None, User | None]:
    """The office close to the person's address and its lightest counsellor."""
    postcode = person.known_address_postcode
    office = choose_office(postcode=postcode, issuing_region=issuing_region)
    counsellor = lightest_counsellor(office=office, languages=person.languages) if office else None
    return office, counsellor


def assignment_data(office: Office, counsellor) -> dict:
    """What an ``assigned`` event records."""
    return {"office": office.name, "counsellor": counsellor.get_full_name() if counsellor else None}


def assign_case(*, case: Case, actor: Actor, issuing_region: str = "") -> Case:
    """Assignment by address (inside the caller's transaction): a repeat order that moves the person."""
    office, counsellor = choose_assignment(person=case.person, issuing_region=issuing_region)
    before = load_key(case)
    case.office = office
    case.counsellor = counsellor
    case.save(update_fields=["office", "counsellor", "updated_at"])
    shift_load(before, load_key(case))
    if office is not None:
        record_event(case=case, actor=actor, kind=CaseEvent.Kind.ASSIGNED, data=assignment_data(office, counsellor))
    followups.run(followups.CaseAssigned(case=case, actor=actor, office=office, counsellor=counsellor))
    return case


@transaction.atomic
def reassign_case(*, actor: User, case_id: int, office_id: int, counsellor_id: int | None, note: str = "") -> Case:
    """A manager moves a case; the history keeps who followed it before."""
    case = access_case(actor=actor, case_id=case_id, for_update=True)
    if not actor.has_perm("cases.reassign_case"):
        raise DomainError(_("Only an office manager may reassign a case."), code="forbidden")
    office = Office.objects.filter(pk=office_id, kind__in=Office.COUNSELLING_KINDS, is_active=True).first()
    if office is None:
        raise DomainError(_("Choose an active counselling office."), code="invalid_office")
    counsellor = None
    if counsellor_id is not None:
        counsellor = User.objects.filter(
            pk=counsellor_id, is_active=True, memberships__office=office, memberships__is_active=True
        ).first()
        if counsellor is None:
            raise DomainError(_("The counsellor does not work at that office."), code="invalid_counsellor")
    else:
        counsellor = lightest_counsellor(office=office, languages=case.person.languages)
    before = {"office": case.office.name if case.office else None,
              "counsellor": case.counsellor.get_full_name() if case.counsellor else None}
    previous = load_key(case)
    case.office, case.counsellor = office, counsellor
    case.save(update_fields=["office", "counsellor", "updated_at"])
    shift_load(previous, load_key(case))
    record_event(
        case=case, actor=actor, kind=CaseEvent.Kind.ASSIGNED, note=note,
        data={"before": before, "office": office.name, "counsellor": counsellor.get_full_name() if counsellor else None},
    )
    followups.run(followups.CaseAssigned(case=case, actor=actor, office=office, counsellor=counsellor))
    return case


@transaction.atomic
def update_address(
    *, actor: User, case_id: int, street: str, postcode: str, municipality: str, invalid: bool = False
) -> Case:
    """A new address, or the confirmation that the known one is invalid (a `lose_contact` reason)."""
    case = access_case(actor=actor, case_id=case_id, for_update=True)
    if postcode and not (postcode.isdigit() and len(postcode) == 4 and 1000 <= int(postcode) <= 9999):
        raise DomainError(_("A Belgian postcode has four digits, 1000 to 9999."), code="invalid_postcode")
    person = case.person
    person.street, person.postcode, person.municipality = street, postcode, municipality
    person.address_invalid = invalid
    person.address_updated_at = timezone.now()
    person.save(update_fields=["street", "postcode", "municipality", "address_invalid", "address_updated_at"])
    record_event(
        case=case, actor=actor, kind=CaseEvent.Kind.ADDRESS_CHANGED,
        note=_("Address confirmed invalid.") if invalid else "",
        data={"postcode": postcode, "invalid": invalid},
    )
    return case
