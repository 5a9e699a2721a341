"""An INSERT's values are what a save writes (returnpath.bulk.insert_values, issue 15)."""

from __future__ import annotations

import datetime as dt
import warnings

import pytest
from django.db import connection
from django.utils import timezone
from django.utils.functional import lazystr

from cases.models import Case, CaseEvent, OrderToLeave, Person
from returnpath import bulk
from returnpath.bulk import insert_fields, insert_values
from tests import factories as f

pytest_plugins = ["tests.cases.test_api_support"]  # its fixtures


@pytest.mark.django_db
def test_insert_values_are_what_a_save_writes(reference_data, office, counsellor):
    person = f.PersonFactory.build(languages=["ar", "fr"], email="a@example.org", family_name=lazystr("Lazy"))
    case = f.CaseFactory.build(person=f.PersonFactory(), office=office, counsellor=counsellor, public_order=True,
                               minor_children=2, departure_deadline=dt.date(2027, 1, 2),
                               next_conversation_at=dt.datetime(2026, 1, 2, 3, 4))  # naive: converted
    case.vulnerable = 1  # an int in a boolean field: converted
    order = OrderToLeave(case=f.CaseFactory(), external_reference="R-1", issued_on=dt.datetime(2026, 1, 2, 10, 0),
                                          notified_on=dt.date(2026, 1, 3), departure_term_days=True, departure_deadline=None)
    event = CaseEvent(case=case, kind=CaseEvent.Kind.OPENED, at=timezone.now(), data={"x": [1, "é"]})
    for obj in (person, case, order, event):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # the naive datetime
            fast = insert_values(obj)
            # auto_now fields: pre_save stamped the instance; the reference reads the same stamp.
            slow = [value if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
                    else field.get_db_prep_save(field.pre_save(obj, True), connection)
                    for field, value in zip(insert_fields(type(obj)), fast, strict=True)]
        with connection.cursor() as cursor:  # what the driver sends, value by value
            literal = [cursor.mogrify("%s", [v]) for v in fast], [cursor.mogrify("%s", [v]) for v in slow]
        assert literal[0] == literal[1], type(obj).__name__
        assert [type(v) for v in fast] == [type(v) for v in slow], type(obj).__name__
    assert insert_values(order)[[fl.attname for fl in insert_fields(OrderToLeave)].index("issued_on")] == dt.date(2026, 1, 2)


def test_only_exact_field_classes_are_read_as_held():
    plan = {field.attname: held for field, _name, held in bulk._insert_plan(Case)}
    assert plan["state"] is None and plan["destination_country"] is None  # subclasses: prepared as the ORM does
    assert plan["updated_at"] is None  # auto_now: pre_save stamps it
    assert plan["office_id"] is not None and plan["public_order"] is not None
    assert {field.attname for field, _name, held in bulk._insert_plan(Person) if held is None} >= {"languages"}  # JSON
