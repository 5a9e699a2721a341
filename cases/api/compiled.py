"""A serializer's parsing without DRF's per-field wrappers, for orders (decision 116).

:func:`compile_parser` reads a :class:`~cases.api.fields.StrictSerializer`'s declared fields once
and returns a function that parses one JSON object with those same fields: each field's own
``to_internal_value``, ``get_default`` and validators, and the serializer's own ``cross_check``.
What it leaves out is only DRF's generic machinery around them (``run_validation`` and
``validate_empty_values`` per field, error gathering, ``set_value``), which a thousand orders pay
some 25,000 times.

It never words an error. It answers the validated data only when every field passed; at the
first doubt (a field failed, a required one is missing, an unknown key, a non-dict, a cross-field
rule refused, a type of field it was not built for) it answers ``None`` and the caller asks the
serializer itself, which then finds and words every error exactly as it always has. So an
invalid order reads the same in a batch as alone, and a valid one parses to the same values
(``tests/cases/test_compiled_parser.py`` compares both on every field's valid and invalid values).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, cast

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.fields import CharField, Field, ListField, SkipField, empty

from cases.api.fields import JsonString, StrictSerializer

Parser = Callable[[object], Any]


class _Unsure(Exception):
    """Not certain to pass: let the serializer decide (and word the errors)."""


_SKIP = object()  # the field is left out of the validated data (DRF's SkipField)


def compile_parser(serializer: StrictSerializer) -> Callable[[object], dict | None]:
    """``parse(data)``: the validated data of ``data`` when it is valid and plain JSON; otherwise
    ``None`` (ask ``serializer.run_validation``, which raises the errors)."""
    plan = _object_plan(serializer) if not getattr(serializer.root, "partial", False) else None

    def parse(data: object) -> dict | None:
        if plan is None:
            return None
        try:
            return plan(data)
        except (_Unsure, serializers.ValidationError, DjangoValidationError):
            return None

    return parse


def _object_plan(serializer: StrictSerializer) -> Parser | None:
    """StrictSerializer.to_internal_value for a dict, with the field plans below (None: not compiled)."""
    kind = type(serializer)
    if (kind.to_internal_value is not StrictSerializer.to_internal_value or kind.run_validation is not serializers.Serializer.run_validation
            or kind.validate is not serializers.Serializer.validate or serializer.validators):
        return None
    fields = []
    for field, reads_by_name in serializer._writable_fields_once:
        if not reads_by_name or field.source_attrs != [field.field_name]:
            return None
        fields.append((field.field_name, _field_plan(field)))
    known = frozenset(serializer.fields)
    cross_check = serializer.cross_check

    def plan(data: object) -> dict:
        if type(data) is not dict:
            raise _Unsure
        value: dict = {}
        for name, parse in fields:
            parsed = parse(data.get(name, empty))
            if parsed is not _SKIP:
                value[name] = parsed
        if not known.issuperset(data):
            raise _Unsure  # an unknown field
        errors: dict = {}
        cross_check(value, errors)
        if errors:
            raise _Unsure
        return value

    return plan


def _missing(field: Field) -> object:
    """Field.validate_empty_values for an absent value (the root is never partial here)."""
    if field.required:
        raise _Unsure
    try:
        return field.get_default()
    except SkipField:
        return _SKIP


def _field_plan(field: Field) -> Parser:
    """``parse(raw)``: what ``field.run_validation(raw)`` returns when it passes (``raw`` may be
    ``empty``, the value absent; ``_SKIP`` where DRF would raise SkipField)."""
    kind = type(field)
    inner: Parser | None = None
    if kind.validate_empty_values is not Field.validate_empty_values or field.source == "*":
        pass  # its own handling of absent and null values: run whole
    elif isinstance(field, StrictSerializer):
        inner = _object_plan(field)
    elif not any(getattr(v, "requires_context", False) for v in field.validators):
        if kind.run_validation is Field.run_validation and isinstance(field, ListField) and (
                kind.to_internal_value is ListField.to_internal_value):
            inner = _list_plan(field)
        elif kind.run_validation is Field.run_validation:
            inner = _scalar_plan(field)
        elif kind.run_validation is CharField.run_validation:
            inner = _text_plan(field)
    if inner is None:  # a kind of field not compiled: its own run_validation, whole
        return _whole(field)
    allow_null, parse = field.allow_null, inner

    def plan(raw: object) -> object:
        if raw is empty:
            return _missing(field)
        if raw is None:  # Field.validate_empty_values
            if not allow_null:
                raise _Unsure
            return None
        return parse(raw)

    return plan


def _item_plan(child: Field) -> Parser:
    """A list item (never absent): the child's plan, where leaving it out is not a value."""
    parse = _field_plan(child)

    def plan(item: object) -> object:
        parsed = parse(item)
        if parsed is _SKIP:
            raise _Unsure
        return parsed

    return plan


def _whole(field: Field) -> Parser:
    def plan(raw: object) -> object:
        try:
            return field.run_validation(raw)
        except SkipField:
            return _SKIP

    return plan


def _check(field: Field) -> Callable[[object], None]:
    """The field's validators (raise on the first failure: the caller only needs to know)."""
    if isinstance(field, JsonString) and type(field).run_validators is JsonString.run_validators:
        return field.run_validators  # CharField's own validators checked in one pass (decision 112)
    if type(field).run_validators is not Field.run_validators:
        return field.run_validators
    # None requires the field as context (_field_plan runs those fields whole).
    validators = cast(tuple[Callable[[object], None], ...], tuple(field.validators))

    def check(value: object) -> None:
        for validator in validators:
            validator(value)

    return check


def _scalar_plan(field: Field) -> Parser:
    """Field.run_validation for a present, non-null value."""
    convert, check = field.to_internal_value, _check(field)

    def plan(raw: object) -> object:
        value = convert(raw)
        check(value)
        return value

    return plan


def _text_plan(field: Field) -> Parser:
    """CharField.run_validation for a present, non-null value: blank first, as DRF tests it."""
    assert isinstance(field, CharField)
    convert, check, allow_blank, trim = field.to_internal_value, _check(field), field.allow_blank, field.trim_whitespace

    def plan(raw: object) -> object:
        if type(raw) is not str:
            raise _Unsure  # DRF would turn a number into text, or refuse it: let it say which
        if raw == "" or (trim and raw.strip() == ""):
            if not allow_blank:
                raise _Unsure
            return ""
        value = convert(raw)
        check(value)
        return value

    return plan


def _list_plan(field: ListField) -> Parser:
    """ListField.run_validation for a JSON array: each item through the child's plan."""
    item_plan, check, allow_empty = _item_plan(field.child), _check(field), field.allow_empty

    def plan(raw: object) -> object:
        if type(raw) is not list or (not allow_empty and not raw):
            raise _Unsure
        value = []
        for item in raw:
            value.append(item_plan(item))
        check(value)
        return value

    return plan


_per_thread = threading.local()


def validated_order(data: object) -> dict:
    """One order's validated data, as ``OrderSerializer(data=data)`` gives it, or its
    ``ValidationError`` as ``is_valid(raise_exception=True)`` raises it. A plain valid order takes
    the compiled way: DRF builds (deep-copies) the serializer's 33 fields for every instance, about a
    fifth of a single order's Python. One parser per thread: a field's parsing keeps nothing
    between calls, but the web's threads share no field object all the same."""
    from cases.api.serializers import OrderSerializer

    parse = getattr(_per_thread, "order", None)
    if parse is None:
        parse = _per_thread.order = compile_parser(OrderSerializer())
    validated = parse(data)
    if validated is not None:
        return validated
    serializer = OrderSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
