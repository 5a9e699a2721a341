"""Possible duplicates between API clients' cases, for a person to review (decision 020).

Imported at the end of ``cases.models`` so that Django registers the model with the app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# Events that name another client's case: staff business only, never shown by the API.
STAFF_ONLY_EVENT_KINDS = ("possible_duplicate", "duplicate_merged", "duplicate_dismissed")


class PossibleDuplicate(models.Model):
    """An order matched a person whose case belongs to another client.

    The order opened a new case (``case``) instead of touching the other one (``existing_case``);
    a coordinator or an office manager who sees both merges them or dismisses the match.
    """

    class Match(models.TextChoices):
        NATIONAL_NUMBER = "national_number", _("same national register or bis number")
        DOSSIER_NUMBER = "dossier_number", _("same dossier number")
        NAME = "name", _("same name, birth date and nationality")

    class Status(models.TextChoices):
        OPEN = "open", _("to review")
        MERGED = "merged", _("merged")
        DISMISSED = "dismissed", _("not the same person")

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="duplicate_reviews",
                             verbose_name=_("new case"))
    existing_case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("existing case"))
    match = models.CharField(_("match"), max_length=20, choices=Match.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    resolved_by_label = models.CharField(max_length=150, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "existing_case"], name="possible_duplicate_once_per_pair"),
        ]

    def __str__(self) -> str:
        return f"#{self.case_id} ~ #{self.existing_case_id}"

    @property
    def is_strong(self) -> bool:
        return self.match == self.Match.NATIONAL_NUMBER



from cases.history import register_history  # noqa: E402

register_history()
