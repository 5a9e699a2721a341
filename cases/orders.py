"""The order to leave as received (by hand or from an API client): dates, term, legal basis.
Part of ``cases.models``."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _


class OrderToLeave(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="orders")
    # Indexed by the unique (client, external_reference) below, which also serves the foreign key (decision 116).
    client = models.ForeignKey("cases.ApiClient", on_delete=models.PROTECT, null=True, blank=True, related_name="orders",
                               db_index=False)
    external_reference = models.CharField(_("external reference"), max_length=64)
    issued_on = models.DateField(_("issued on"))
    notified_on = models.DateField(_("notified on"))
    departure_term_days = models.PositiveSmallIntegerField(_("departure term (days)"), validators=[MaxValueValidator(30)])
    term_reason = models.CharField(_("reason for a shorter term"), max_length=300, blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=200, blank=True)
    entry_ban_years = models.PositiveSmallIntegerField(_("entry ban (years)"), default=0, validators=[MaxValueValidator(20)])
    departure_deadline = models.DateField(_("departure deadline"))
    content_hash = models.CharField(max_length=64, blank=True, editable=False)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-notified_on", "-id"]
        verbose_name = _("order to leave")
        verbose_name_plural = _("orders to leave")
        constraints = [
            models.UniqueConstraint(fields=["client", "external_reference"], name="order_reference_unique_per_client"),
            models.UniqueConstraint(
                fields=["external_reference"], condition=Q(client__isnull=True), name="order_reference_unique_manual"
            ),
            models.CheckConstraint(name="order_notified_not_before_issue", condition=Q(notified_on__gte=models.F("issued_on"))),
            models.CheckConstraint(name="order_term_at_most_30", condition=Q(departure_term_days__lte=30)),
            models.CheckConstraint(
                name="order_short_term_reasoned", condition=Q(departure_term_days__gte=30) | ~Q(term_reason="")
            ),
        ]
        indexes = [models.Index(Upper("external_reference"), name="order_reference_upper")]

    def __str__(self) -> str:
        return self.external_reference

    def clean(self) -> None:
        errors = {}
        if self.issued_on and self.notified_on and self.notified_on < self.issued_on:
            errors["notified_on"] = _("The notification cannot be before the order was issued.")
        if self.departure_term_days is not None and self.departure_term_days < 30 and not self.term_reason.strip():
            errors["term_reason"] = _("A departure term under 30 days must be reasoned.")
        if errors:
            raise ValidationError(errors)
