import datetime as dt

import pytest
from django.utils import timezone

from cases.models import CaseEvent, Person, State
from cases.services.retention import pseudonymise_expired_cases
from returnpath.actors import SYSTEM
from tests import factories as f


@pytest.mark.django_db
def test_only_people_whose_cases_all_ended_long_ago_are_pseudonymised(settings):
    settings.RETURNPATH_RETENTION_DAYS = 365
    long_ago = timezone.now() - dt.timedelta(days=400)
    old = f.CaseFactory(state=State.DEPARTED, outcome_at=long_ago, person__national_number="")
    recent = f.CaseFactory(state=State.REMOVED, outcome_at=timezone.now() - dt.timedelta(days=10))
    still_open = f.CaseFactory(state=State.ORIENTATION)
    # A person with an old closed case and a newer open one keeps their data.
    f.CaseFactory(person=still_open.person, state=State.CLOSED, outcome_at=long_ago)

    assert pseudonymise_expired_cases() == 1
    old.person.refresh_from_db()
    assert old.person.family_name.startswith("P-") and old.person.given_names == "" and old.person.pseudonymised_at
    assert old.person.birth_date.month == 1 and old.person.birth_date.day == 1
    assert CaseEvent.objects.filter(case=old, kind=CaseEvent.Kind.PSEUDONYMISED).count() == 1
    assert Person.objects.get(pk=recent.person.pk).pseudonymised_at is None
    assert Person.objects.get(pk=still_open.person.pk).pseudonymised_at is None
    assert pseudonymise_expired_cases() == 0  # idempotent


def test_housekeeping_runs_every_night():
    from django.conf import settings

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"cases.pseudonymise_expired", "cases.purge_idempotency_keys", "cases.purge_expired_api_tokens"} <= tasks
    from returnpath.celery import app

    app.loader.import_default_modules()
    assert {"cases.pseudonymise_expired", "cases.purge_idempotency_keys", "cases.purge_expired_api_tokens"} <= set(app.tasks)


@pytest.mark.django_db
def test_system_events_read_in_the_readers_language(case):
    from django.utils import translation

    from cases.services import record_event

    warning = record_event(case=case, actor=SYSTEM, kind=CaseEvent.Kind.DETENTION_WARNING, note="written in English",
                           data={"placement": 1, "limit": "2026-08-08"})
    proposal = record_event(case=case, actor=SYSTEM, kind=CaseEvent.Kind.LOSE_CONTACT_PROPOSED, note="1 consecutive no-shows.",
                            data={"no_shows": 1})
    with translation.override("en"):
        assert warning.text == "The detention limit is reached on 08/08/2026."
        assert proposal.text == "1 consecutive no-show."
    typed = record_event(case=case, actor=SYSTEM, kind=CaseEvent.Kind.CONVERSATION_HELD, note="Notes as typed.")
    assert typed.text == "Notes as typed."
