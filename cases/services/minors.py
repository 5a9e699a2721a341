"""Unaccompanied minors: the guardian, the guardian's agreement to a return, and coming of age.

A minor's voluntary return needs the guardian's agreement and a best-interest decision for return
(Return Directive art. 10; the guard ``minor_return_agreed_by_guardian_and_best_interest``).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import legal
from cases.models import Case, CaseEvent, Playbook, TargetGroup
from cases.selectors import access_case
from cases.services.events import record_event
from returnpath.actors import SYSTEM, User
from returnpath.errors import DomainError


def _minor_case(*, actor: User, case_id: int) -> Case:
    if not actor.has_perm("cases.counsel_case"):
        raise DomainError(_("Only a counsellor or office manager may take this step."), code="forbidden")
    case = access_case(actor=actor, case_id=case_id, for_update=True)
    if not case.unaccompanied_minor:
        raise DomainError(_("A guardian is only recorded for an unaccompanied minor."), code="not_applicable")
    if not case.is_open:
        raise DomainError(_("The case is closed."), code="case_closed")
    return case


@transaction.atomic
def record_guardian(*, actor: User, case_id: int, name: str, contact: str, appointed_on: dt.date | None) -> Case:
    case = _minor_case(actor=actor, case_id=case_id)
    errors = []
    if not (name or "").strip():
        errors.append(_("Give the guardian's name."))
    if not (contact or "").strip():
        errors.append(_("Give how to reach the guardian."))
    if appointed_on is None:
        errors.append(_("Give the date the guardian was appointed."))
    elif appointed_on > timezone.localdate():
        errors.append(_("The appointment date cannot be in the future."))
    if errors:
        raise DomainError(_("The guardian cannot be recorded."), code="invalid_guardian", details=errors)
    assert appointed_on is not None  # refused above
    changed = case.guardian_name != name.strip()
    case.guardian_name, case.guardian_contact, case.guardian_appointed_on = name.strip(), contact.strip(), appointed_on
    update = ["guardian_name", "guardian_contact", "guardian_appointed_on", "updated_at"]
    if changed and case.guardian_agreed_return_on:
        # Another guardian: the former one's agreement does not bind the new one.
        case.guardian_agreed_return_on = None
        update.append("guardian_agreed_return_on")
    case.save(update_fields=update)
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.GUARDIAN_RECORDED,
                 data={"appointed_on": appointed_on.isoformat()})
    return case


@transaction.atomic
def record_guardian_agreement(*, actor: User, case_id: int, agreed_on: dt.date | None, note: str = "") -> Case:
    """The guardian agrees to the minor's voluntary return (dated, with the guardian on record)."""
    case = _minor_case(actor=actor, case_id=case_id)
    errors = []
    if not case.guardian_name:
        errors.append(_("Record the guardian first."))
    if agreed_on is None:
        errors.append(_("Give the date of the guardian's agreement."))
    elif agreed_on > timezone.localdate():
        errors.append(_("The date of the agreement cannot be in the future."))
    elif case.guardian_appointed_on and agreed_on < case.guardian_appointed_on:
        errors.append(_("The agreement cannot predate the guardian's appointment."))
    if errors:
        raise DomainError(_("The guardian's agreement cannot be recorded."), code="invalid_agreement", details=errors)
    assert agreed_on is not None  # refused above
    case.guardian_agreed_return_on = agreed_on
    case.save(update_fields=["guardian_agreed_return_on", "updated_at"])
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.GUARDIAN_AGREED, note=note,
                 data={"agreed_on": agreed_on.isoformat()})
    return case


def notice_coming_of_age(*, case: Case, today: dt.date | None = None) -> bool:
    """The 18th birthday of an unaccompanied minor: recorded as an event and put before the
    counsellor (``came_of_age_on``); the status is not changed silently. Idempotent; called by the
    sweep with the case row locked."""
    today = today or timezone.localdate()
    birth = case.person.birth_date
    if not case.unaccompanied_minor or case.came_of_age_on or birth is None or not case.is_open:
        return False
    on = legal.eighteenth_birthday(birth)
    if on > today:
        return False
    case.came_of_age_on = on
    case.save(update_fields=["came_of_age_on", "updated_at"])
    record_event(case=case, actor=SYSTEM, kind=CaseEvent.Kind.CAME_OF_AGE, data={"on": on.isoformat()})
    return True


@transaction.atomic
def review_coming_of_age(*, actor: User, case_id: int, note: str = "") -> Case:
    """The counsellor takes note that the person came of age: no longer an unaccompanied minor;
    the playbook of an adult follows (the trajectory's state is unchanged)."""
    if not actor.has_perm("cases.counsel_case"):
        raise DomainError(_("Only a counsellor or office manager may take this step."), code="forbidden")
    case = access_case(actor=actor, case_id=case_id, for_update=True)
    if not (case.unaccompanied_minor and case.came_of_age_on):
        raise DomainError(_("The person has not come of age as an unaccompanied minor."), code="not_applicable")
    case.unaccompanied_minor = False
    case.target_group = TargetGroup.INDIVIDUAL if case.person.has_known_address else TargetGroup.NO_ADDRESS
    case.playbook = Playbook.objects.filter(target_group=case.target_group).first()
    case.save(update_fields=["unaccompanied_minor", "target_group", "playbook", "updated_at"])
    record_event(case=case, actor=actor, kind=CaseEvent.Kind.CAME_OF_AGE, note=note,
                 data={"on": case.came_of_age_on.isoformat(), "reviewed": True, "target_group": case.target_group})
    return case
