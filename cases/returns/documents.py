"""Documents stored with a case (evidence and papers) and who downloaded them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def document_storage():
    """The ``documents`` storage of settings.STORAGES: the filesystem by default, S3-compatible by
    setting (returnpath/conf/returns.py). Never the public static or media URL."""
    return storages["documents"]


def document_path(instance: CaseDocument, filename: str) -> str:
    # The stored name says nothing about the person: the case number and a random name.
    return f"cases/{instance.case_id}/{uuid.uuid4().hex}.{instance.extension}"


class CaseDocument(models.Model):
    class Kind(models.TextChoices):
        BOARDING_PASS = "boarding_pass", _("Boarding pass")
        BORDER_STAMP = "border_stamp", _("Border stamp")
        LAISSEZ_PASSER = "laissez_passer", _("Laissez-passer")
        MEDICAL_OPINION = "medical_opinion", _("Medical opinion")
        SIGNED_CONSENT = "signed_consent", _("Signed consent")
        TRAVEL_DOCUMENT = "travel_document", _("Travel document")
        OTHER = "other", _("Other")

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    file = models.FileField(storage=document_storage, upload_to=document_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=64)
    extension = models.CharField(max_length=8)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.original_name})"


class DocumentDownload(models.Model):
    """Who downloaded which document, when, from where: appended, never changed."""

    document = models.ForeignKey(CaseDocument, on_delete=models.CASCADE, related_name="downloads")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("document download")
        verbose_name_plural = _("document downloads")

    def __str__(self) -> str:
        return f"{self.document_id} {self.at:%Y-%m-%d %H:%M}"
