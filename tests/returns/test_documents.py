"""Documents: sniffed type, size limit, the scanner hook, logged downloads, removal at retention."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseAccess, CaseEvent, State
from cases.returns import services
from cases.returns.documents import CaseDocument, DocumentDownload
from cases.services.retention import pseudonymise_expired_cases
from returnpath.errors import TransitionRefused
from tests import factories as f

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _document_root(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "documents": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path), "base_url": None}}}
    settings.RETURNPATH_DOCUMENT_SCANNER = ""
    settings.RETURNPATH_DOCUMENT_MAX_BYTES = 1024
    # The field resolved its storage when the model was loaded: point it at this test's folder.
    field = CaseDocument._meta.get_field("file")
    original = field.storage
    field.storage = storages["documents"]
    yield tmp_path
    field.storage = original


@pytest.mark.parametrize(("name", "data", "accepted"), [
    ("boarding.pdf", PDF, True),
    ("stamp.png", PNG, True),
    ("photo.jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 20, True),
    ("script.pdf", b"<html><script>alert(1)</script>", False),  # the name lies
    ("fake.png", PDF, False),  # a PDF named .png
    ("archive.zip", b"PK\x03\x04", False),
    ("empty.pdf", b"", False),
    ("big.pdf", PDF + b"0" * 2000, False),  # over the 1 KB limit of the test
])
def test_type_is_sniffed_from_the_content_and_size_is_limited(case, counsellor, name, data, accepted):
    if accepted:
        document = services.upload_document(actor=counsellor, case_id=case.pk, kind="boarding_pass", name=name, data=data)
        assert document.file.read() == data and document.size == len(data)
        assert not document.file.name.endswith(name)  # the stored name says nothing about the person
    else:
        with pytest.raises(TransitionRefused):
            services.upload_document(actor=counsellor, case_id=case.pk, kind="boarding_pass", name=name, data=data)
        assert CaseDocument.objects.count() == 0


def test_a_configured_scanner_is_called_and_its_refusal_or_failure_keeps_the_file_out(case, counsellor, settings, _document_root):
    settings.RETURNPATH_DOCUMENT_SCANNER = "tests.returns.fake_scanner.rejecting"
    with pytest.raises(TransitionRefused) as refused:
        services.upload_document(actor=counsellor, case_id=case.pk, kind="other", name="x.pdf", data=PDF + b"X5O!P%@AP")
    assert "EICAR" in " ".join(refused.value.details)
    services.upload_document(actor=counsellor, case_id=case.pk, kind="other", name="clean.pdf", data=PDF)
    settings.RETURNPATH_DOCUMENT_SCANNER = "tests.returns.fake_scanner.broken"
    with pytest.raises(TransitionRefused):
        services.upload_document(actor=counsellor, case_id=case.pk, kind="other", name="y.pdf", data=PDF)
    assert CaseDocument.objects.count() == 1
    assert len([p for p in _document_root.rglob("*") if p.is_file()]) == 1


def test_upload_and_download_in_the_browser_are_access_checked_and_logged(client, case, counsellor, other_counsellor):
    client.force_login(counsellor)
    response = client.post(reverse("cases:upload_document", args=[case.pk]),
                           {"kind": "signed_consent", "file": SimpleUploadedFile("consent.pdf", PDF, content_type="text/plain")})
    assert response.status_code == 302
    document = CaseDocument.objects.get()
    assert document.content_type == "application/pdf"
    assert case.events.filter(kind=CaseEvent.Kind.DOCUMENT_ADDED).count() == 1
    page = client.get(reverse("cases:detail", args=[case.pk]))
    assert reverse("cases:download_document", args=[case.pk, document.pk]) in page.content.decode()

    response = client.get(reverse("cases:download_document", args=[case.pk, document.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf" and "attachment" in response["Content-Disposition"]
    assert DocumentDownload.objects.filter(document=document, user=counsellor).count() == 1
    assert CaseAccess.objects.filter(case=case, via="document", user=counsellor).count() == 1

    client.force_login(other_counsellor)
    assert client.get(reverse("cases:download_document", args=[case.pk, document.pk])).status_code == 404
    assert DocumentDownload.objects.count() == 1


def test_documents_and_free_text_go_with_the_case_at_retention(settings, counsellor, _document_root, django_capture_on_commit_callbacks):
    settings.RETURNPATH_RETENTION_DAYS = 365
    case = f.CaseFactory(state=State.ORIENTATION, office=counsellor.memberships.first().office, counsellor=counsellor)
    services.upload_document(actor=counsellor, case_id=case.pk, kind="medical_opinion", name="opinion.pdf", data=PDF)
    services.update_vulnerability(actor=counsellor, case_id=case.pk, flags={"mental_health": True}, note="Severe PTSD")
    Case = type(case)
    Case.objects.filter(pk=case.pk).update(state=State.DEPARTED, outcome_at=timezone.now() - dt.timedelta(days=400))
    with django_capture_on_commit_callbacks(execute=True):
        assert pseudonymise_expired_cases() == 1
    assert CaseDocument.objects.filter(case=case).count() == 0
    assert [p for p in _document_root.rglob("*") if p.is_file()] == []
    assert case.vulnerability.note == "" and case.vulnerability.mental_health  # the flag stays for the figures


def test_s3_compatible_storage_is_chosen_by_setting(monkeypatch):
    import importlib

    from returnpath.conf import returns as conf

    monkeypatch.setenv("RETURNPATH_DOCUMENT_STORAGE", "s3")
    monkeypatch.setenv("RETURNPATH_S3_BUCKET", "rp-documents")
    monkeypatch.setenv("RETURNPATH_S3_ENDPOINT_URL", "https://s3.example.be")
    try:
        s3 = importlib.reload(conf).DOCUMENT_STORAGE
    finally:
        monkeypatch.delenv("RETURNPATH_DOCUMENT_STORAGE")
        default = importlib.reload(conf).DOCUMENT_STORAGE
    assert s3["BACKEND"] == "storages.backends.s3.S3Storage"
    assert s3["OPTIONS"]["bucket_name"] == "rp-documents" and s3["OPTIONS"]["default_acl"] == "private"
    assert default["BACKEND"] == "django.core.files.storage.FileSystemStorage" and default["OPTIONS"]["base_url"] is None
