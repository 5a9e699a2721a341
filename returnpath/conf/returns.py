"""Settings of the return work (cases.returns): documents and the consular timers.

Imported at the end of returnpath.settings, which adds ``DOCUMENT_STORAGE`` to ``STORAGES`` as
the ``documents`` alias and ``RETURNS_BEAT_SCHEDULE`` to the beat schedule.
"""

from pathlib import Path

import environ
from celery.schedules import crontab

_env = environ.Env()
_base = Path(__file__).resolve().parent.parent.parent

# Where uploaded documents go: the filesystem (default) or any S3-compatible object store
# (through boto3, pinned in requirements.txt). Never served as static or media files: every
# download goes through the case's access check and is logged.
RETURNPATH_DOCUMENT_STORAGE = _env.str("RETURNPATH_DOCUMENT_STORAGE", default="filesystem")
if RETURNPATH_DOCUMENT_STORAGE == "s3":
    DOCUMENT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _env.str("RETURNPATH_S3_BUCKET"),
            "endpoint_url": _env.str("RETURNPATH_S3_ENDPOINT_URL", default=None),
            "region_name": _env.str("RETURNPATH_S3_REGION", default=None),
            "location": _env.str("RETURNPATH_S3_PREFIX", default="documents"),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    DOCUMENT_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": _env.str("RETURNPATH_DOCUMENT_ROOT", default=str(_base / "documents")),
            "base_url": None,
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    }
RETURNPATH_DOCUMENT_MAX_BYTES = _env.int("RETURNPATH_DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)
# Dotted path of a callable ``scan(data: bytes, *, name: str) -> str | None`` (None: clean; a
# sentence: refused). Empty: no scanner. A scanner that raises refuses the upload (fail closed).
RETURNPATH_DOCUMENT_SCANNER = _env.str("RETURNPATH_DOCUMENT_SCANNER", default="")

# A consulate that has not answered this many days after the request (or the last reminder)
# puts the request on the counsellor's list; an interview shows this many days ahead.
RETURNPATH_CONSULAR_ANSWER_DAYS = _env.int("RETURNPATH_CONSULAR_ANSWER_DAYS", default=30)
RETURNPATH_CONSULAR_INTERVIEW_LEAD_DAYS = _env.int("RETURNPATH_CONSULAR_INTERVIEW_LEAD_DAYS", default=2)

RETURNS_BEAT_SCHEDULE = {
    "remind-return-timers-morning": {
        "task": "cases.remind_return_timers", "schedule": crontab(hour=6, minute=10), "options": {"expires": 3600},
    },
    "remind-return-timers-hourly": {
        "task": "cases.remind_return_timers", "schedule": crontab(minute=40), "options": {"expires": 3600},
    },
}

# Names of the API's enums where several models have a "kind" or "status" (drf-spectacular).
RETURNS_ENUM_NAME_OVERRIDES = {
    "TravelDocumentKindEnum": "cases.returns.models.TravelDocument.Kind",
    "TravelDocumentStatusEnum": "cases.returns.models.TravelDocument.Status",
    "ConsularRequestKindEnum": "cases.returns.models.ConsularRequest.Kind",
    "ReintegrationSupportKindEnum": "cases.returns.models.ReintegrationSupport.Kind",
}
