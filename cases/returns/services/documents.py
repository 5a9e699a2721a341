"""Documents stored with a case: type sniffed from the content, size limit, virus-scan hook,
logged downloads, and removal with the case at retention."""

from __future__ import annotations

import hashlib
import logging
from typing import cast

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from cases.access_log import record_access
from cases.models import Case, CaseEvent
from cases.returns.access import access_for_counselling
from cases.returns.documents import CaseDocument, DocumentDownload
from cases.selectors import access_case
from cases.services.events import record_event
from returnpath.actors import User
from returnpath.errors import DomainError, TransitionRefused

logger = logging.getLogger("returnpath.documents")

# What a document may be, recognised by its first bytes (never by its name or the browser's word).
SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)
EXTENSIONS = {"pdf": {"pdf"}, "png": {"png"}, "jpg": {"jpg", "jpeg"}}


def sniff(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) from the file's magic bytes, or None for anything else."""
    for magic, content_type, extension in SIGNATURES:
        if data.startswith(magic):
            return content_type, extension
    return None


def scan(data: bytes, *, name: str) -> str | None:
    """The configured scanner's verdict: None when clean (or no scanner), else the reason.
    A scanner that fails refuses the file: an unscanned file never gets in."""
    path = getattr(settings, "RETURNPATH_DOCUMENT_SCANNER", "")
    if not path:
        return None
    try:
        verdict = import_string(path)(data, name=name)
    except Exception:
        logger.exception("The document scanner failed on %s", name)
        return _("The virus scanner could not check the file; try again later.")
    return str(verdict) if verdict else None


@transaction.atomic
def upload_document(*, actor: User, case_id: int, kind: str, name: str, data: bytes) -> CaseDocument:
    case = access_for_counselling(actor=actor, case_id=case_id, for_update=True)
    reasons = []
    if kind not in CaseDocument.Kind.values:
        reasons.append(_("Choose what kind of document this is."))
    limit = settings.RETURNPATH_DOCUMENT_MAX_BYTES
    if not data:
        reasons.append(_("The file is empty."))
    elif len(data) > limit:
        reasons.append(_("The file is larger than %(limit)s MB.") % {"limit": round(limit / 1024 / 1024, 1)})
    sniffed = sniff(data) if data else None
    if data and sniffed is None:
        reasons.append(_("Only PDF, PNG and JPEG files are accepted (judged by their content)."))
    elif sniffed and "." in name and name.rsplit(".", 1)[1].lower() not in EXTENSIONS[sniffed[1]]:
        reasons.append(_("The file's name says it is another kind of file than its content."))
    if not reasons:
        verdict = scan(data, name=name)
        if verdict:
            reasons.append(_("The virus scanner refused the file: %(reason)s") % {"reason": verdict})
    if reasons:
        raise TransitionRefused(_("The document cannot be stored."), details=reasons)
    assert sniffed is not None  # refused above: an empty or unrecognised file
    content_type, extension = sniffed
    document = CaseDocument(
        case=case, kind=kind, original_name=name[:200], content_type=content_type, extension=extension, size=len(data),
        sha256=hashlib.sha256(data).hexdigest(), uploaded_by=actor,
    )
    document.file.save("upload", ContentFile(data), save=False)
    stored = document.file.name
    assert stored is not None  # FieldFile.save names the file
    try:
        document.save()
        record_event(case=case, actor=actor, kind=CaseEvent.Kind.DOCUMENT_ADDED,
                     data={"document": document.pk, "document_kind": kind, "size": len(data)})
    except Exception:  # no row, no file
        document.file.storage.delete(stored)
        raise
    return document


@transaction.atomic
def open_document(*, actor: User, case_id: int, document_id: int, address: str | None = None) -> CaseDocument:
    """The document, once the actor may see the case; the read is logged (case access log and
    the document's own download log) before anything is sent."""
    case = access_case(actor=actor, case_id=case_id)
    document = CaseDocument.objects.filter(case=case, pk=document_id).first()
    if document is None:
        raise DomainError(_("No such document on this case."), code="not_found")
    record_access(actor=actor, via="document", cases=[case])
    DocumentDownload.objects.create(document=document, case=case, user=actor, address=address or None)
    return document


def remove_documents_of(case: Case) -> int:
    """Retention: the files and their rows go with the case's personal data (called by the
    pseudonymisation, inside its transaction; the files are deleted once it commits)."""
    documents = list(CaseDocument.objects.filter(case=case))
    names = [(d.file.storage, cast(str, d.file.name)) for d in documents]  # a stored document has its file (NOT NULL)
    DocumentDownload.objects.filter(document__in=documents).delete()
    CaseDocument.objects.filter(pk__in=[d.pk for d in documents]).delete()

    def delete_files():
        for storage, name in names:
            try:
                storage.delete(name)
            except Exception:  # the row is gone; a leftover file is logged for the administrator
                logger.exception("Could not delete document file %s", name)

    transaction.on_commit(delete_files)
    return len(documents)
