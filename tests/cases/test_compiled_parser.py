"""The batch's compiled parser (decision 116) answers as the serializer does, or leaves it to the serializer.

Every leaf and object of an order is given each value of a table (valid, invalid, of every JSON
type, absent): the compiled parser must answer the serializer's own validated data, or ``None``
(the batch then asks the serializer, which words the errors). A valid order of the ordinary
kinds must take the compiled way (else the shortcut would be silently lost), and every error of
every field reads the same in a batch as alone.
"""

import copy
import datetime as dt

import pytest
from django.utils import timezone
from rest_framework import serializers

from cases.api.batch import _without_nul
from cases.api.compiled import compile_parser
from cases.api.fields import StrictSerializer, Text
from cases.api.serializers import OrderSerializer
from tests.cases.test_api import ORDERS, run_batch
from tests.cases.test_api_support import order_payload

pytest_plugins = ["tests.cases.test_api_support"]  # its fixtures

ABSENT, KEEP = object(), object()
_TODAY = timezone.localdate()
VALUES = [
    ABSENT, None, "", "   ", " padded ", "x", "x" * 5, "x" * 33, "x" * 65, "x" * 151, "x" * 301, "a\x00b", "a\ud800b",
    "Jos\u00e9", "Jose\u0301", "na\u200bme", "\u202eevil", 0, 1, -1, 2, 10, 20, 21, 30, 31, 1.0, 30.0, 1.5, True, False,
    [], ["fr"], ["FR"], ["f"], ["fr", "fr"], ["fr"] * 11, [None], [1], {}, {"x": 1},
    "1990-04-02", "2024-02-29", "1999-12-31", "1899-12-31", "2023-02-29", "1990-4-2", "02/04/1990",
    (_TODAY + dt.timedelta(days=1)).isoformat(), _TODAY.isoformat(), "2000-01-01T10:00:00",
    "M", "F", "X", "m", "MA", "ma", "MAR", "XX", "XYZ", "BE", "fr", "nl", "zz", "1000", "9999", "0999", "10000", "12a4",
    "85.07.30-033.28", "85073003328", "85073003329", "a@b.be", "not-an-email", "minor", "adult", "tourist", "unaccompanied_minor",
]


def _paths(serializer: StrictSerializer, prefix: str = "") -> list[str]:
    """Every field of the order, objects included, as ``a__b`` paths."""
    out = []
    for name, field in serializer.fields.items():
        out.append(prefix + name)
        if isinstance(field, StrictSerializer):
            out += _paths(field, f"{prefix}{name}__")
    return out


PATHS = _paths(OrderSerializer())


def _with(path: str, value) -> dict:
    order = order_payload("C-1")
    node = order
    *parents, last = path.split("__")
    for parent in parents:
        node = node[parent]
    if value is KEEP:
        pass
    elif value is ABSENT:
        node.pop(last, None)
    else:
        node[last] = copy.deepcopy(value)
    return order


def _drf(order):
    serializer = OrderSerializer(data=order)
    return serializer.validated_data if serializer.is_valid() else None


def test_the_fields_are_compiled_not_run_whole(monkeypatch):
    """Every field of an order has a compiled plan: none falls back to its own run_validation."""
    from cases.api import compiled

    whole, original = [], compiled._whole
    monkeypatch.setattr(compiled, "_whole", lambda field: whole.append(field.field_name) or original(field))
    compile_parser(OrderSerializer())
    assert whole == []


@pytest.mark.parametrize("path", PATHS)
def test_each_value_of_each_field_parses_as_the_serializer_does(path):
    parser = OrderSerializer()
    parse = compile_parser(parser)
    compiled_way = 0
    for value in [KEEP, *VALUES]:
        order = _with(path, value)
        expected = _drf(order)
        got = parse(order)
        if got is not None:
            compiled_way += 1
            assert got == expected, (path, value)
            assert expected is not None
    assert compiled_way > 0, path  # the ordinary payload itself at least


VALID = [
    order_payload("V-1"),
    order_payload("V-2", term_reason="  voluntary departure agreed  ", departure_term_days=10),
    order_payload("V-3", target_group="", person__national_number="85073003328", person__email="a@b.be"),
    order_payload("V-4", person__address=None, person__birth_date=None, person__languages=[], person__nationality="mar"),
    order_payload("V-5", person__family_name="  Jose\u0301  ", person__given_names="", person__sex="F"),
    order_payload("V-6", household={"minor_children": 2, "unaccompanied_minor": False}, flags={"public_order": True}),
]


@pytest.mark.parametrize("order", VALID, ids=[o["external_reference"] for o in VALID])
def test_valid_orders_take_the_compiled_way(order):
    parsed = compile_parser(OrderSerializer())(order)
    assert parsed is not None
    assert parsed == _drf(order)


def test_an_order_without_its_optional_objects_takes_the_compiled_way():
    order = order_payload("V-7")
    del order["household"], order["flags"], order["term_reason"], order["entry_ban_years"]
    del order["person"]["address"], order["person"]["languages"]
    parsed = compile_parser(OrderSerializer())(order)
    assert parsed is not None and parsed == _drf(order)
    assert "household" not in parsed and parsed["person"]["languages"] == []


def test_a_field_it_was_not_built_for_is_run_whole():
    class Odd(serializers.CharField):
        def run_validation(self, data=serializers.empty):
            return "odd"

    class Envelope(StrictSerializer):
        name = Text(max_length=5)
        odd = Odd(required=False)

    parse = compile_parser(Envelope())
    assert parse({"name": "ab", "odd": 1}) == {"name": "ab", "odd": "odd"}
    assert parse({"name": "toolong"}) is None
    assert parse({"name": "ab", "other": 1}) is None


def _invalid_orders() -> list[dict]:
    orders, seen = [], set()
    for path in PATHS:
        for value in VALUES:
            if isinstance(value, str) and "\ud800" in value:
                # No request body carries a lone surrogate (the envelope refuses it, test_api). A
                # NUL is answered when the batch is accepted (jsonb cannot keep it), as alone.
                continue
            order = _with(path, value)
            serializer = OrderSerializer(data=order)
            if serializer.is_valid():
                continue
            key = repr(serializer.errors)
            if key not in seen:  # each distinct error once
                seen.add(key)
                if path != "external_reference":
                    order["external_reference"] = f"E-{len(orders)}"
                orders.append(order)
    return orders


def test_each_error_of_each_field_reads_the_same_in_a_batch_as_alone(api_register):
    _client, api = api_register
    orders = _invalid_orders()
    assert len(orders) > 60
    status = run_batch(api, {"orders": orders}, format="json").json()
    lines = {line["index"]: line for line in status["results"]}
    for index, order in enumerate(orders):
        alone = api.post(ORDERS, order, format="json")
        assert alone.status_code == 400, (order, alone.content)
        assert lines[index]["status"] == "invalid"
        # A batch's answers are kept as jsonb, which cannot hold NUL: an error that quotes the
        # value quotes it without (the only difference).
        assert lines[index]["errors"] == _without_nul(alone.json()["errors"]), order


def test_one_order_alone_is_parsed_compiled_in_its_thread_and_refused_by_the_serializer(monkeypatch):
    """The single-order path (``validated_order``): the compiled parser of its own thread for a
    plain valid order, the serializer's own error for an invalid one."""
    import threading

    from cases.api import compiled

    asked = []
    monkeypatch.setattr(OrderSerializer, "is_valid", lambda self, **kw: asked.append(1) or serializers.Serializer.is_valid(self, **kw))
    for order in VALID:
        assert compiled.validated_order(order) == _drf(order)
    assert asked == [1] * len(VALID)  # only _drf asked the serializer
    invalid = order_payload("I-1", person__family_name="x" * 151)
    with pytest.raises(serializers.ValidationError) as refused:
        compiled.validated_order(invalid)
    expected = OrderSerializer(data=invalid)
    expected.is_valid()
    assert refused.value.detail == expected.errors
    parsers = [compiled._per_thread.order]
    worker = threading.Thread(target=lambda: (compiled.validated_order(VALID[0]), parsers.append(compiled._per_thread.order)))
    worker.start()
    worker.join()
    assert len(parsers) == 2 and parsers[0] is not parsers[1]


@pytest.mark.parametrize(("zone", "utc_now", "last_valid"), [
    ("Europe/Brussels", dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC), dt.date(2026, 3, 2)),  # Brussels is a day ahead
    ("America/New_York", dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC), dt.date(2026, 2, 28)),  # New York a day behind
    ("Pacific/Kiritimati", dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC), dt.date(2026, 3, 2)),  # UTC+14
    # The clock read in a zone east of the current one (a test's or a caller's): still the current zone's date.
    ("Pacific/Pago_Pago", dt.datetime(2026, 3, 2, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=14))), dt.date(2026, 2, 28)),
])
def test_a_date_is_in_the_future_by_the_current_time_zone(settings, monkeypatch, zone, utc_now, last_valid):
    """``not_after_today`` answers at once for a date before the UTC date (decision 119): never in
    the future anywhere; the day itself and later still go by the current time zone's date."""
    from cases.api.fields import not_after_today

    settings.TIME_ZONE = zone
    monkeypatch.setattr(timezone, "now", lambda: utc_now)
    timezone.deactivate()
    for day in (last_valid - dt.timedelta(days=400), last_valid - dt.timedelta(days=1), last_valid):
        not_after_today(day)
    with pytest.raises(serializers.ValidationError):
        not_after_today(last_valid + dt.timedelta(days=1))
