"""Pseudonymisation of closed cases after the retention period (DESIGN §7, decision 024).

Everything that says who the person is or what they said goes: identity, contact, exact address,
the free text of cases, conversations and messages, order and procedure references, the same
fields in the history rows, and the references and notes in the case events. What statistics
need stays: the cases, their states, dates and figures, nationality, sex, birth year, postcode.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from simple_history.utils import get_history_manager_for_model

from cases.api.models import IdempotencyKey
from cases.conversations import pseudonymise_conversations
from cases.models import OPEN_STATES, TERMINAL_STATES, Case, CaseEvent, LegalProcedure, OrderToLeave, Person, PossibleDuplicate
from cases.returns.services.retention import pseudonymise_return_data
from returnpath.actors import SYSTEM_LABEL

# Free text and contact fields, per model, that are blanked; the person's identity is rewritten.
PERSON_BLANK = ("given_names", "national_number", "dossier_number", "street", "municipality", "phone", "email")
CASE_BLANK = ("close_note", "escalation_motivation")
PROCEDURE_BLANK = ("reference",)
REMOVED = "(pseudonymised)"
# Keys of a case event's data that hold references given by people or systems.
EVENT_DATA_DROP = ("order", "orders", "reference", "street", "municipality", "note")


def pseudonym(person: Person) -> str:
    return "P-" + hashlib.sha256(f"{settings.SECRET_KEY}:{person.pk}".encode()).hexdigest()[:10].upper()


def expired_people(*, now: dt.datetime | None = None) -> QuerySet[Person]:
    """People whose every case ended more than the retention period ago, not yet pseudonymised."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.RETURNPATH_RETENTION_DAYS)
    expired = (
        Person.objects.filter(pseudonymised_at__isnull=True, cases__state__in=TERMINAL_STATES, cases__outcome_at__lt=cutoff)
        .exclude(cases__state__in=OPEN_STATES)
        .exclude(cases__outcome_at__gte=cutoff)
        .values("pk")
    )
    return Person.objects.filter(pk__in=expired)


def pseudonymise_expired_cases(*, now: dt.datetime | None = None, batch_size: int = 500, dry_run: bool = False) -> int:
    """Pseudonymise every expired person; returns how many (with ``dry_run``: would be, nothing changes).

    Idempotent; works in bounded batches with skipped locks so two runs never collide.
    """
    now = now or timezone.now()
    if dry_run:
        return expired_people(now=now).count()
    done = 0
    while True:
        with transaction.atomic():
            # FOR UPDATE cannot lock a DISTINCT join: lock the people by id instead.
            people = list(expired_people(now=now).select_for_update(skip_locked=True).order_by("pk")[:batch_size])
            if not people:
                return done
            for person in people:
                pseudonymise_person(person, now=now)
            done += len(people)


def _blank(queryset: QuerySet, fields: tuple[str, ...]) -> None:
    present = [f for f in fields if any(field.name == f for field in queryset.model._meta.concrete_fields)]
    if present:
        queryset.update(**dict.fromkeys(present, ""))


def pseudonymise_person(person: Person, *, now: dt.datetime) -> None:
    """One person and everything hanging off their cases (inside the caller's transaction)."""
    name = pseudonym(person)
    birth_date = dt.date(person.birth_date.year, 1, 1) if person.birth_date else None
    identity = {**dict.fromkeys(PERSON_BLANK, ""), "family_name": name, "birth_date": birth_date, "search_name": name.lower()}
    # QuerySet.update: no new history row carrying anything; the history rows are rewritten below.
    Person.objects.filter(pk=person.pk).update(**identity, pseudonymised_at=now)
    get_history_manager_for_model(Person).filter(id=person.pk).update(**{k: v for k, v in identity.items() if k != "search_name"})

    cases = Case.objects.filter(person=person)
    case_ids = list(cases.values_list("pk", flat=True))
    _blank(cases, CASE_BLANK)
    _blank(get_history_manager_for_model(Case).filter(id__in=case_ids), CASE_BLANK)

    pseudonymise_conversations(case_ids=case_ids, pseudonym=name)  # counselling's free text and recipients

    _blank(LegalProcedure.objects.filter(case_id__in=case_ids), PROCEDURE_BLANK)
    _blank(get_history_manager_for_model(LegalProcedure).filter(case_id__in=case_ids), PROCEDURE_BLANK)
    for order in OrderToLeave.objects.filter(case_id__in=case_ids).only("pk", "client_id", "external_reference"):
        # Unique per client: a pseudonymous reference per order keeps the constraint.
        OrderToLeave.objects.filter(pk=order.pk).update(external_reference=f"{name}-{order.pk}", content_hash="")
        if order.client_id and order.external_reference:
            # A stored API answer naming the reference (a batch) normally expired long ago; never keep one.
            IdempotencyKey.objects.filter(client_id=order.client_id, response_body__contains=order.external_reference).delete()
    # A short term must stay reasoned (a constraint): the reason is replaced, not blanked.
    OrderToLeave.objects.filter(case_id__in=case_ids).exclude(term_reason="").update(term_reason=REMOVED)
    _blank(PossibleDuplicate.objects.filter(case_id__in=case_ids), ("note",))
    _blank(PossibleDuplicate.objects.filter(existing_case_id__in=case_ids), ("note",))

    # Events are append-only for everyone else; pseudonymisation is the one rewrite (base manager).
    events = CaseEvent._base_manager.filter(case_id__in=case_ids)
    for event in events.only("pk", "data", "note"):
        data = event.data if isinstance(event.data, dict) else {}
        cleaned = {k: v for k, v in data.items() if k not in EVENT_DATA_DROP}
        if cleaned != data or event.note:
            CaseEvent._base_manager.filter(pk=event.pk).update(data=cleaned, note="")
    for case in cases:
        pseudonymise_return_data(case)  # documents and the return work's free text (cases.returns)
    for case_id in case_ids:
        CaseEvent.objects.create(case_id=case_id, actor=None, actor_label=SYSTEM_LABEL, kind=CaseEvent.Kind.PSEUDONYMISED)
