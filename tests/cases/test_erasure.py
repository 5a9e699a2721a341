"""Erasure that erases (decision 024): after pseudonymisation no text column of any table holds
the person's original values; statistics still count them; idempotent; a dry run changes nothing."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from cases import services
from cases.models import Case, CaseEvent, LegalProcedure, Person, State
from cases.services.retention import pseudonymise_expired_cases
from counselling.models import Conversation, OutboundMessage
from tests import factories as f

pytestmark = pytest.mark.django_db
NN = "90040200114"
ORIGINAL = {
    "family_name": "Vanderzwalm", "given_names": "Quirijna", "national_number": NN, "dossier_number": "DZ-77441",
    "street": "Zwaluwstraat 99", "municipality": "Kruibekewijk", "phone": "+32470998877",
    "email": "quirijna@example.org",
}
SECRETS = [*ORIGINAL.values(), "OQT-ZZ-9911", "RVV-ZZ-4242", "quirijna vanderzwalm", "term because of Quirijna"]


def _columns():
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for column in connection.introspection.get_table_description(cursor, table):
                yield table, column.name


def scan(values) -> list[tuple[str, str, str]]:
    """Every (table, column, value) where an original value still appears, in any column as text."""
    found = []
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, column in _columns():
            for value in values:
                cursor.execute(f"SELECT 1 FROM {q(table)} WHERE UPPER(CAST({q(column)} AS TEXT)) LIKE UPPER(%s) LIMIT 1",
                               [f"%{value}%"])
                if cursor.fetchone():
                    found.append((table, column, value))
    return found


@pytest.fixture
def aged_person(office, counsellor, manager, settings):
    """One person through the real services: an order, conversations, a message, a procedure,
    an address change, closed long ago."""
    settings.RETURNPATH_RETENTION_DAYS = 365
    person = services.PersonData(
        family_name=ORIGINAL["family_name"], given_names=ORIGINAL["given_names"], birth_date=dt.date(1990, 4, 2),
        nationality="MA", national_number=NN, dossier_number=ORIGINAL["dossier_number"], street=ORIGINAL["street"],
        postcode="1000", municipality=ORIGINAL["municipality"], phone=ORIGINAL["phone"], email=ORIGINAL["email"],
    )
    today = timezone.localdate()
    result = services.open_case_from_order(actor=manager, data=services.OrderData(
        external_reference="OQT-ZZ-9911", issued_on=today - dt.timedelta(days=20), notified_on=today - dt.timedelta(days=19),
        departure_term_days=10, term_reason="term because of Quirijna", person=person))
    case = result.case
    conversation = f.ConversationFactory(case=case, notes="Quirijna Vanderzwalm spoke about Zwaluwstraat 99",
                                         agreed_next_step="Call +32470998877")
    conversation.notes += " and her brother"
    conversation.save()
    OutboundMessage.objects.create(conversation=conversation, kind="invitation", channel="sms", to=ORIGINAL["phone"],
                                   body="Dear Quirijna Vanderzwalm, see you at Zwaluwstraat 99")
    f.ProcedureFactory(case=case, reference="RVV-ZZ-4242")
    services.update_address(actor=manager, case_id=case.pk, street="Zwaluwstraat 99", postcode="1000",
                            municipality="Kruibekewijk")
    services.close_case(actor=manager, case_id=case.pk, reason="other", note="Quirijna Vanderzwalm left, see DZ-77441")
    Case.objects.filter(pk=case.pk).update(outcome_at=timezone.now() - dt.timedelta(days=400))
    return case


def test_no_text_column_of_any_table_keeps_the_persons_values(aged_person):
    assert scan(SECRETS)  # the scan finds them before (it can fail)
    assert pseudonymise_expired_cases() == 1
    assert scan(SECRETS) == []


def test_statistics_still_count_them_and_a_second_run_changes_nothing(aged_person):
    pseudonymise_expired_cases()
    case = Case.objects.get(pk=aged_person.pk)
    assert case.state == State.CLOSED and case.person.nationality == "MA" and case.person.birth_date == dt.date(1990, 1, 1)
    assert Conversation.objects.filter(case=case).count() == 1 and LegalProcedure.objects.filter(case=case).count() == 1
    events = CaseEvent.objects.filter(case=case).count()
    before = list(Person.objects.values())
    assert pseudonymise_expired_cases() == 0
    assert list(Person.objects.values()) == before and CaseEvent.objects.filter(case=case).count() == events


def test_dry_run_counts_and_changes_nothing(aged_person, capsys):
    call_command("pseudonymise_expired", "--dry-run")
    assert "1 people would be pseudonymised" in capsys.readouterr().out
    assert Person.objects.get().family_name == "Vanderzwalm"
    call_command("pseudonymise_expired")
    assert Person.objects.get().family_name.startswith("P-")
