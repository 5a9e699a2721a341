"""The person an order to leave concerns: identity, contact, address (one row per person, repeat
orders attach to it). Part of ``cases.models``."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, ClassVar

from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from cases.identity import validate_national_number
from cases.names import normalise_name, validate_name

if TYPE_CHECKING:
    from simple_history.manager import HistoryManager


def fold_for_search(text: str) -> str:
    """Lower case without accents or punctuation, one space between words (search and its index)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join("".join(ch if ch.isalnum() else " " for ch in plain).split())


class Person(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "F", _("Female")
        MALE = "M", _("Male")
        OTHER = "X", _("Other / unknown")

    family_name = models.CharField(_("family name"), max_length=150, validators=[validate_name])
    given_names = models.CharField(_("given names"), max_length=150, blank=True, validators=[validate_name])
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, default=Sex.OTHER)
    nationality = CountryField(_("nationality"), blank=True)
    national_number = models.CharField(
        _("national register or bis number"),
        max_length=11,
        blank=True,
        validators=[validate_national_number],
    )
    dossier_number = models.CharField(_("dossier number"), max_length=32, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True, help_text=_("ISO 639-1 codes"))
    street = models.CharField(_("street"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=4, blank=True)
    municipality = models.CharField(_("municipality"), max_length=100, blank=True)
    address_invalid = models.BooleanField(_("address confirmed invalid"), default=False)
    address_updated_at = models.DateTimeField(_("address updated"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    # Given and family names folded for search: lower case, no accents ("Doğan Aïssatou" → "dogan aissatou").
    search_name = models.CharField(max_length=310, blank=True, editable=False)
    pseudonymised_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    # Added by django-simple-history when cases.history registers the model (decision 023).
    history: ClassVar[HistoryManager]

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [
            models.Index(fields=["family_name", "given_names"]),
            # The numbers are only ever compared whole: a plain index each, not db_index's second
            # LIKE index (varchar_pattern_ops) that every new person also wrote (decision 116).
            models.Index(fields=["national_number"], name="person_national_number"),
            models.Index(fields=["dossier_number"], name="person_dossier_number"),
            # The caseload search compares case-insensitively (UPPER); name parts use trigram
            # indexes on PostgreSQL (migration 0006).
            models.Index(Upper("dossier_number"), name="person_dossier_upper"),
            # Matching an order by name compares UPPER(family_name) (decision 062).
            models.Index(Upper("family_name"), "birth_date", "nationality", name="person_name_key_upper"),
        ]

    def __str__(self) -> str:
        return f"{self.family_name.upper()}, {self.given_names}".strip(", ")

    def save(self, *args, **kwargs):
        self.normalise_names()
        if kwargs.get("update_fields") is not None and {"given_names", "family_name"} & set(kwargs["update_fields"]):
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_name"}
        super().save(*args, **kwargs)

    def normalise_names(self) -> None:
        """What every save writes of the names (also the statement-built insert of a new order's
        person, ``cases.services.new_case``)."""
        # One spelling per name (decision 027): "é" typed as one or as two code points is the same name.
        self.family_name, self.given_names = normalise_name(self.family_name), normalise_name(self.given_names)
        self.search_name = fold_for_search(f"{self.given_names} {self.family_name}")

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_name}".strip()


    @staticmethod
    def known_postcode(postcode: str, *, address_invalid: bool = False) -> str:
        """The postcode an office can be chosen by: the address's, unless there is none or it is
        known to be wrong ("" then)."""
        return postcode if postcode and not address_invalid else ""

    @property
    def has_known_address(self) -> bool:
        return bool(self.known_address_postcode)

    @property
    def known_address_postcode(self) -> str:
        return Person.known_postcode(self.postcode, address_invalid=self.address_invalid)
