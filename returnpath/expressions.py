"""Small SQL expressions the ORM has no name for."""

from __future__ import annotations

from django.db.models import BooleanField, Func


class AnyOf(Func):
    """``expression = ANY(array)`` (PostgreSQL): with ``ArraySubquery``, a correlated subquery
    that is run per row by its own correlation, never turned into a hashed scan of its whole
    result the way an ``EXISTS`` or ``IN`` may be."""

    template = "%(expressions)s)"
    arg_joiner = " = ANY("
    output_field = BooleanField()
