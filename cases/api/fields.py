"""The API's strict field types: JSON types only (no "1" for 1, no "true" for true), text without
invisible characters, ISO dates and codes, Belgian national numbers and postcodes, and a
serializer that reports unknown fields. The request serializers of every endpoint build on these."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from functools import cached_property

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxLengthValidator, MinLengthValidator, ProhibitNullCharactersValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.fields import SkipField, empty, get_error_detail
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from cases.identity import normalise_national_number
from cases.languages import ISO_639_1
from cases.names import deceptive_characters, normalise_name

EARLIEST_ORDER_DATE = dt.date(2000, 1, 1)
EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # what DRF's ProhibitSurrogateCharactersValidator refuses


# --- strict parsing ---------------------------------------------------------------------
_GET_BY_NAME = {serializers.Field.get_value, serializers.ListField.get_value, serializers.DictField.get_value,
                serializers.JSONField.get_value, serializers.Serializer.get_value}


class StrictSerializer(serializers.Serializer):
    """Rejects unknown fields and reports every field error of its level at once.

    After the loop, :meth:`cross_check` may add errors that involve several fields, using the
    values that did parse (``partial``).
    """

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            raise serializers.ValidationError(
                {"non_field_errors": [ErrorDetail(str(_("Expected a JSON object.")), code="invalid")]}
            )
        value: dict = {}
        errors: dict = {}  # field name -> its error details, as cross_check takes them
        plain = type(data) is dict  # a parsed JSON object, never an HTML form's QueryDict
        for field, reads_by_name in self._writable_fields_once:
            try:
                validated = field.run_validation(data.get(field.field_name, empty) if plain and reads_by_name else field.get_value(data))
            except serializers.ValidationError as exc:
                errors[field.field_name] = exc.detail
            except DjangoValidationError as exc:
                errors[field.field_name] = get_error_detail(exc)
            except SkipField:
                pass
            else:
                self.set_value(value, field.source_attrs, validated)
        for key in data:
            if key not in self.fields:
                errors[str(key)] = [ErrorDetail(str(_("Unknown field.")), code="unknown_field")]
        self.cross_check(value, errors)
        if errors:
            raise serializers.ValidationError(errors)
        return value

    def cross_check(self, value: dict, errors: dict) -> None:
        """Add errors spanning several fields; ``value`` holds only the fields that parsed."""

    # A batch parses a thousand orders with one instance (decision 112): what DRF works out
    # again for every value is worked out once, and nothing is run that could not fail.
    @cached_property
    def _writable_fields_once(self) -> tuple[tuple[serializers.Field, bool], ...]:
        """Each writable field, and whether it reads a plain dict as ``data.get(name, empty)``
        (every DRF ``get_value`` in ``_GET_BY_NAME`` does outside HTML forms)."""
        return tuple((field, type(field).get_value in _GET_BY_NAME) for field in self._writable_fields)

    def run_validators(self, value):
        if not self.validators:  # DRF would still gather the read-only defaults to hand to no validator
            return
        super().run_validators(value)


def add_error(errors: dict, path: str, code: str, message: str) -> None:
    node = errors
    parts = path.split(".")
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):  # that whole object already failed
            return
        node = child
    existing = node.get(parts[-1])
    if isinstance(existing, list) and any(getattr(e, "code", None) == code for e in existing):
        return
    if isinstance(existing, dict):
        return
    node.setdefault(parts[-1], []).append(ErrorDetail(str(message), code=code))


class JsonString(serializers.CharField):
    """A JSON string and nothing else: DRF would turn 12345 or true into text silently."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)

    def run_validators(self, value):
        """DRF's validators, skipped only where they all pass: a string within the lengths, without
        NUL or a lone surrogate, when the field has no validator besides CharField's own."""
        bounds = self._plain_bounds
        if bounds is not None and type(value) is str and bounds[0] <= len(value) <= bounds[1] and "\x00" not in value and (
            value.isascii() or not _SURROGATE.search(value)
        ):
            return
        super().run_validators(value)

    @cached_property
    def _plain_bounds(self) -> tuple[int, float] | None:
        """(min, max) length when every validator is one of CharField's own (else None)."""
        lowest, highest = 0, float("inf")
        for validator in self.validators:
            kind, limit = type(validator), getattr(validator, "limit_value", None)
            if kind in (MinLengthValidator, MaxLengthValidator) and type(limit) is int:
                if kind is MinLengthValidator:
                    lowest = max(lowest, limit)
                else:
                    highest = min(highest, limit)
            elif kind not in (ProhibitNullCharactersValidator, ProhibitSurrogateCharactersValidator):
                return None
        return lowest, highest


class StrictBoolean(serializers.BooleanField):
    """JSON true or false only: "yes" or 1 must not switch a flag that relaxes a legal guard."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictInteger(serializers.IntegerField):
    """A JSON number without fraction; "30" or true are refused, as the schema says."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class Text(JsonString):
    """A trimmed string; DRF's CharField already refuses NUL and lone surrogates."""

    def __init__(self, *, max_length: int, required: bool = False, **kwargs):
        if not required:
            kwargs.setdefault("default", "")
            kwargs.setdefault("allow_blank", True)
        super().__init__(max_length=max_length, required=required, **kwargs)


class Name(Text):
    """A person's name: NFC-normalised; invisible and text-direction characters refused (decision 027)."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        found = deceptive_characters(value)
        if found:
            raise serializers.ValidationError(
                _("This name contains invisible or text-direction characters (%(chars)s). Type the name with visible letters only.")
                % {"chars": ", ".join(found)}, code="invisible_characters",
            )
        return normalise_name(value)


class IsoDate(serializers.DateField):
    def __init__(self, **kwargs):
        super().__init__(input_formats=["iso-8601"], format="iso-8601", **kwargs)


class CountryCode(JsonString):
    """ISO 3166-1 alpha-2 or alpha-3; answered as alpha-2."""

    default_error_messages = {"invalid_country": _("“{value}” is not an ISO 3166-1 alpha-2 or alpha-3 country code.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 3)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data).upper()
        if not value:
            return ""
        code = countries.alpha2(value) if re.fullmatch(r"[A-Z]{2,3}", value) else ""
        if not code:
            self.fail("invalid_country", value=value)
        return code


class LanguageCode(JsonString):
    default_error_messages = {"invalid_language": _("“{value}” is not an ISO 639-1 language code.")}

    def __init__(self, **kwargs):
        super().__init__(max_length=2, min_length=2, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data).lower()
        if value not in ISO_639_1:
            self.fail("invalid_language", value=value)
        return value


class NationalNumber(JsonString):
    """Belgian national register or bis number (python-stdnum); answered as its 11 digits."""

    def __init__(self, **kwargs):
        super().__init__(max_length=20, allow_blank=True, default="", **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not value:
            return ""
        try:
            return normalise_national_number(value)
        except DjangoValidationError:
            raise serializers.ValidationError(
                ErrorDetail(str(_("This is not a valid Belgian national register or bis number.")), code="invalid_national_number")
            ) from None


class Postcode(JsonString):
    default_error_messages = {"invalid_postcode": _("A Belgian postcode is four digits, 1000 to 9999.")}

    def __init__(self, **kwargs):
        super().__init__(max_length=4, allow_blank=True, default="", **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value and not (re.fullmatch(r"[0-9]{4}", value) and 1000 <= int(value) <= 9999):
            self.fail("invalid_postcode")
        return value


def not_after_today(value: dt.date) -> None:
    # Every time zone's date is at least the UTC date's eve: a date up to that eve is never in the
    # future, and is known without the current time zone's look-up (a batch checks 3,000 dates).
    if value < timezone.now().astimezone(dt.UTC).date():
        return
    if value > timezone.localdate():
        raise serializers.ValidationError(ErrorDetail(str(_("This date is in the future.")), code="future_date"))


def order_era(value: dt.date) -> None:
    if value < EARLIEST_ORDER_DATE:
        raise serializers.ValidationError(ErrorDetail(str(_("This date is before 2000.")), code="too_old"))


def birth_era(value: dt.date) -> None:
    if value < EARLIEST_BIRTH_DATE:
        raise serializers.ValidationError(ErrorDetail(str(_("This date is before 1900.")), code="too_old"))


# --- orders in --------------------------------------------------------------------------
