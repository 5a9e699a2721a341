"""Names that cannot deceive (decision 027): stored NFC-normalised; invisible format characters
refused, so that "the same name" is the same in matching and a name displays as it is stored."""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Unicode categories that draw nothing or change how the text around them is drawn: format
# characters (Cf: bidi overrides and isolates, zero-width joiners and spaces, the BOM, soft hyphen),
# controls (Cc), private use (Co), unassigned (Cn), surrogates (Cs) and line/paragraph separators.
_REFUSED_CATEGORIES = {"Cf", "Cc", "Co", "Cn", "Cs", "Zl", "Zp"}


def normalise_name(value: str) -> str:
    """NFC, surrounding spaces stripped (what is stored and what is compared)."""
    return unicodedata.normalize("NFC", value or "").strip()


def deceptive_characters(value: str) -> list[str]:
    """The refused characters in ``value``, as ``U+XXXX NAME`` (empty: the name is fine)."""
    found = []
    for ch in value or "":
        if unicodedata.category(ch) in _REFUSED_CATEGORIES:
            label = f"U+{ord(ch):04X} {unicodedata.name(ch, '')}".strip()
            if label not in found:
                found.append(label)
    return found


def validate_name(value: str) -> None:
    """Model and form validator: refuses invisible and direction-changing characters."""
    found = deceptive_characters(value)
    if found:
        raise ValidationError(
            _("This name contains invisible or text-direction characters (%(chars)s). Type the name with visible letters only."),
            code="invisible_characters",
            params={"chars": ", ".join(found)},
        )
