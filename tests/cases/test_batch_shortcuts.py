"""The shortcuts that make a batch cheaper (decision 112) answer exactly as what they stand for."""

import itertools
import random

import pytest
from rest_framework import serializers

from cases.api.fields import CountryCode, LanguageCode, Name, NationalNumber, Postcode, Text
from cases.api.serializers import OrderSerializer
from cases.services.staffing import candidates, lightest, pick_lightest
from returnpath.copying import copy_text

VALUES = ["", "abc", "abcde", "abcdef", "a\x00b", "a\ud800b", "\udfff", "éééé", "ééééé", "éééééé", "a\tb", "a" * 40]


def _errors(run, value):
    try:
        run(value)
    except serializers.ValidationError as exc:
        return [(str(e), e.code) for e in exc.detail]
    return None


@pytest.mark.parametrize("field", [Text(max_length=5), Name(max_length=5), LanguageCode(), CountryCode(), Postcode(),
                                   NationalNumber(), Text(max_length=5, validators=[lambda v: None])])
def test_the_string_validators_answer_as_drfs_own(field):
    for value in VALUES:
        assert _errors(field.run_validators, value) == _errors(lambda v: serializers.CharField.run_validators(field, v), value), value


def test_a_field_with_a_validator_of_its_own_is_never_skipped():
    calls = []
    field = Text(max_length=5, validators=[calls.append])
    field.run_validators("abc")
    assert calls == ["abc"]
    assert field._plain_bounds is None
    assert Text(max_length=5)._plain_bounds == (0, 5)
    assert LanguageCode()._plain_bounds == (2, 2)


def test_one_parser_for_many_orders_answers_as_a_parser_per_order():
    from tests.cases.test_api_support import order_payload

    orders = [order_payload("A-1"), order_payload("A-2", person__family_name="x" * 151),
              order_payload("A-3", person__languages=["f"]), order_payload("A-4", legal_basis="a\x00b"),
              order_payload("A-5", person__given_names="\ud800"), order_payload("A-6", departure_term_days=10)]
    parser = OrderSerializer()
    for order in orders:
        one = OrderSerializer(data=order)
        if one.is_valid():
            assert parser.run_validation(order) == one.validated_data
        else:
            with pytest.raises(serializers.ValidationError) as refused:
                parser.run_validation(order)
            assert refused.value.detail == one.errors


class _Profile:
    def __init__(self, languages):
        self.languages = languages


class _Counsellor:
    def __init__(self, pk, open_cases, languages):
        self.id, self.pk, self.open_cases = pk, pk, open_cases
        self.spoken = frozenset(languages or ())  # as office_counsellors reads them
        if languages is not None:
            self.staff_profile = _Profile(languages)


def test_candidates_then_lightest_choose_as_pick_lightest_did():
    """pick_lightest's rule before decision 112: min by (does not speak, open cases, id)."""
    rng = random.Random(7)
    pool = ["nl", "fr", "ar", "ti", "en"]
    for _ in range(300):
        team = [_Counsellor(pk, rng.randint(0, 4), None if rng.random() < 0.1 else rng.sample(pool, rng.randint(0, 2)))
                for pk in rng.sample(range(1, 50), rng.randint(0, 6))]
        for languages in itertools.chain([()], (tuple(rng.sample(pool, k)) for k in (1, 2))):
            wanted = set(languages)

            def speaks(u, wanted=wanted):
                profile = getattr(u, "staff_profile", None)
                return bool(profile and wanted & set(profile.languages))

            before = min(team, key=lambda u, speaks=speaks: (not speaks(u), u.open_cases, u.id)) if team else None
            assert pick_lightest(team, languages) is before
            assert lightest(candidates(team, languages)) is before


@pytest.mark.parametrize("value", ["plain", "tab\there", "back\\slash", "new\nline\r", "", "\\N", 5, True, False, None, 1.5])
def test_copy_text_escapes_as_copy_reads(value):
    expected = {None: "\\N", True: "t", False: "f"}.get(value) if value is None or isinstance(value, bool) else None
    if expected is None:
        expected = str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    assert copy_text(value) == expected


def test_every_field_read_by_name_reads_a_json_object_as_its_get_value_does():
    from rest_framework.fields import empty

    from cases.api.fields import StrictSerializer

    def fields(serializer):
        for field, by_name in serializer._writable_fields_once:
            yield field, by_name
            if isinstance(field, StrictSerializer):
                yield from fields(field)

    seen = 0
    for field, by_name in fields(OrderSerializer()):
        assert by_name, field.field_name  # every field of an order is read the plain way
        for data in ({}, {field.field_name: None}, {field.field_name: ""}, {field.field_name: [1]}, {"other": 1}):
            assert field.get_value(data) == data.get(field.field_name, empty), (field.field_name, data)
        seen += 1
    assert seen >= 25
