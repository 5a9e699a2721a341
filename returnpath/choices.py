"""``get_<field>_display`` without translating every choice on each call.

Django's ``Model._get_FIELD_display`` builds ``dict(make_hashable(field.flatchoices))`` on every
call: hashing each lazy label translates it, so one ``get_state_display`` translates all fifteen
states (a caseload page of 25 rows: about a thousand translations, an eighth of its time). The
labels are looked up by value here, from a map built once per field; only the label shown is
translated, in the language of the request.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable

_LABELS: dict[models.Field, dict[Any, Any]] = {}


class ChoiceLabels:
    """Mixed into a model before ``models.Model``: its ``get_<field>_display`` read this."""

    def _get_FIELD_display(self, field: models.Field) -> Any:
        labels = _LABELS.get(field)
        if labels is None:
            # The values are plain strings or numbers: hashing them translates nothing.
            labels = _LABELS[field] = {make_hashable(value): label for value, label in field.flatchoices}
        value = getattr(self, field.attname)
        return force_str(labels.get(make_hashable(value), value), strings_only=True)
