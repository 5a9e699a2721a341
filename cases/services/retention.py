"""Pseudonymisation of closed cases after the retention period (DESIGN §7)."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cases.models import OPEN_STATES, TERMINAL_STATES, Case, CaseEvent, Person
from cases.returns.services.retention import pseudonymise_return_data
from cases.services.events import record_event


def pseudonym(person: Person) -> str:
    return "P-" + hashlib.sha256(f"{settings.SECRET_KEY}:{person.pk}".encode()).hexdigest()[:10].upper()


def pseudonymise_expired_cases(*, now: dt.datetime | None = None, batch_size: int = 500) -> int:
    """Strip identifying data from people whose every case ended more than the retention period ago.

    The case, its events and its figures stay (dashboards, Eurostat); names, numbers, address and
    contact go. Idempotent; works in bounded batches with skipped locks so two runs never collide.
    Returns how many people were pseudonymised.
    """
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.RETURNPATH_RETENTION_DAYS)
    done = 0
    while True:
        with transaction.atomic():
            expired = (
                Person.objects.filter(pseudonymised_at__isnull=True, cases__state__in=TERMINAL_STATES, cases__outcome_at__lt=cutoff)
                .exclude(cases__state__in=OPEN_STATES)
                .exclude(cases__outcome_at__gte=cutoff)
                .values("pk")
            )
            # FOR UPDATE cannot lock a DISTINCT join: lock the people by id instead.
            people = list(Person.objects.select_for_update(skip_locked=True).filter(pk__in=expired).order_by("pk")[:batch_size])
            if not people:
                return done
            for person in people:
                _pseudonymise(person, now)
            done += len(people)


def _pseudonymise(person: Person, now: dt.datetime) -> None:
    person.family_name = pseudonym(person)
    person.given_names = ""
    person.birth_date = dt.date(person.birth_date.year, 1, 1) if person.birth_date else None
    person.national_number = ""
    person.dossier_number = ""
    person.street = ""
    person.municipality = ""
    person.phone = ""
    person.email = ""
    person.pseudonymised_at = now
    person.save()
    for case in Case.objects.filter(person=person):
        pseudonymise_return_data(case)  # documents and the return work's free text (cases.returns)
        record_event(case=case, actor=None, kind=CaseEvent.Kind.PSEUDONYMISED)
