"""Which office and counsellor follow a case, and the person's address."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias, TypedDict

from django.conf import settings
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import followups
from cases.models import Case, CaseEvent
from cases.selectors import access_case
from cases.services.events import record_event
from cases.services.load import load_key, shift_load
from offices.models import Membership, Office
from offices.selectors import office_by_code, office_for_postcode, province_for_postcode, regional_office_for_province
from returnpath.actors import Actor, User
from returnpath.errors import DomainError

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class _OpenCases(TypedDict):
        open_cases: int

    # A counsellor as office_counsellors reads them: with their open cases from the load counters.
    Counsellor: TypeAlias = WithAnnotations[User, _OpenCases]


def office_counsellors(office: Office) -> list[Counsellor]:
    """The office's active counsellors, each with ``open_cases`` read from the load counters
    (decision 060): the office's counsellors, never their cases."""
    return list(
        User.objects.filter(
            is_active=True,
            memberships__office=office,
            memberships__role=Membership.Role.COUNSELLOR,
            memberships__is_active=True,
        )
        .select_related("staff_profile")
        .annotate(open_cases=Coalesce("case_load__open_cases", Value(0)))
        .only("id", "username", "first_name", "last_name", "staff_profile__languages")
    )


def pick_lightest(counsellors: list[Counsellor], languages: list[str] | tuple[str, ...] = ()) -> Counsellor | None:
    """The one with the fewest open cases among those who speak one of ``languages`` (else among all)."""
    return lightest(candidates(counsellors, languages))


def candidates(counsellors: list[Counsellor], languages: list[str] | tuple[str, ...] = ()) -> list[Counsellor]:
    """Those of ``counsellors`` who speak one of ``languages``; all of them when nobody does. (The
    batch job keeps the list per office and languages and asks :func:`lightest` each time.)"""
    wanted = set(languages)

    def speaks(user) -> bool:
        profile = getattr(user, "staff_profile", None)
        return bool(profile and not wanted.isdisjoint(profile.languages))

    speaking = [user for user in counsellors if speaks(user)]
    return speaking or counsellors


def lightest(counsellors: list[Counsellor]) -> Counsellor | None:
    """The one with the fewest open cases (the lowest id on a tie)."""
    return min(counsellors, key=lambda u: (u.open_cases, u.id)) if counsellors else None


def lightest_counsellor(*, office: Office, languages: list[str] | tuple[str, ...] = ()) -> Counsellor | None:
    """The office's counsellor with the fewest open cases, preferring one who speaks the person's language."""
    return pick_lightest(office_counsellors(office), languages)


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
    postcode = person.postcode if person.has_known_address else ""
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
