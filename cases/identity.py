"""Belgian identity numbers, validated with python-stdnum (national register and bis numbers)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_exceptions
from stdnum.be import bis, nn


def normalise_national_number(value: str) -> str:
    """The 11 digits of a national register or bis number; raises ValidationError when invalid."""
    if not value:
        return ""
    compact = nn.compact(value)
    for module in (nn, bis):
        try:
            return module.validate(compact)
        except stdnum_exceptions.ValidationError:
            continue
    raise ValidationError(
        _("%(value)s is not a valid Belgian national register or bis number."), code="invalid_national_number",
        params={"value": value},
    )


def validate_national_number(value: str) -> None:
    normalise_national_number(value)
