"""ReturnPath settings: one module, read from the environment.

With nothing set: DEBUG on, SQLite in the project folder, Celery's filesystem broker, an
in-memory cache. ``DATABASE_URL``, ``CELERY_BROKER_URL`` / ``REDIS_URL`` switch to PostgreSQL
and Redis. ``DJANGO_ENV=production`` turns on every deploy check (and requires
``DJANGO_SECRET_KEY`` and ``DJANGO_ALLOWED_HOSTS``).
"""

from pathlib import Path
from typing import Any

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env") if (BASE_DIR / ".env").exists() else None

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DJANGO_DEBUG", default=not PRODUCTION)
if PRODUCTION:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
else:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_countries",
    "django_htmx",
    "django_filters",
    "django_fsm",  # graph_transitions
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "simple_history",
    "returnpath.accounts",
    "offices",
    "cases",
    "counselling",
]

MIDDLEWARE = [
    "returnpath.middleware.RequestIdMiddleware",
    "returnpath.observability.metrics.MetricsMiddleware",
    "returnpath.resilience.DependencyDownMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "returnpath.accounts.sessions.SessionPolicyMiddleware",
    "cases.access_log.AccessContextMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "returnpath.accounts.second_factor.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "returnpath.headers.PrivacyHeadersMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "returnpath.urls"
WSGI_APPLICATION = "returnpath.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Web processes bound every statement (gunicorn.conf.py sets it); workers and commands do not.
    _statement_timeout = env.int("DATABASE_STATEMENT_TIMEOUT_MS", default=0)
    if _statement_timeout:
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = f"-c statement_timeout={_statement_timeout}"
# A read replica for dashboards and exports (returnpath/db_routing.py); tests mirror it onto default.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = {**DATABASES["default"], **env.db("DATABASE_REPLICA_URL"), "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["returnpath.db_routing.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
# "local" is this process's own cache: where throttling counts and dashboards go while Redis does
# not answer (returnpath/resilience.py). Short socket timeouts: a hung Redis costs a request at
# most this, and is then skipped for RETURNPATH_CACHE_RETRY_SECONDS.
_REDIS_TIMEOUT = env.float("RETURNPATH_REDIS_TIMEOUT_SECONDS", default=0.5)
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
         "OPTIONS": {"socket_connect_timeout": _REDIS_TIMEOUT, "socket_timeout": _REDIS_TIMEOUT}}
        if REDIS_URL else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    ),
    "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "returnpath-local"},
}
RETURNPATH_CACHE_RETRY_SECONDS = env.int("RETURNPATH_CACHE_RETRY_SECONDS", default=5)
# New cases' intakes are queued for planning as one message per this many milliseconds per
# process (decision 124); 0 sends one message per case from the request, as before.
RETURNPATH_INTAKE_BATCH_MS = env.int("RETURNPATH_INTAKE_BATCH_MS", default=50)
# Bearer token Prometheus sends to /metrics (unset: /metrics answers 404).
RETURNPATH_METRICS_TOKEN = env.str("RETURNPATH_METRICS_TOKEN", default="")
# Retry-After of a 503 when a required dependency (the database) does not answer.
RETURNPATH_RETRY_AFTER_SECONDS = env.int("RETURNPATH_RETRY_AFTER_SECONDS", default=5)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 8)
# Idle timeout: the age counts from the last request, give or take RETURNPATH_SESSION_TOUCH_SECONDS
# (accounts.sessions touches the session at most that often instead of saving it on every request).
SESSION_SAVE_EVERY_REQUEST = False
RETURNPATH_SESSION_TOUCH_SECONDS = env.int("RETURNPATH_SESSION_TOUCH_SECONDS", default=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LANGUAGE_CODE = "en"
LANGUAGES = [("nl", _("Dutch")), ("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["returnpath.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Outside production, whitenoise serves static files straight from the apps (no collectstatic).
WHITENOISE_USE_FINDERS = not PRODUCTION
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Celery -----------------------------------------------------------------------------
CELERY_DATA_DIR = Path(env.str("CELERY_DATA_DIR", default=str(BASE_DIR / ".celery-broker")))
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (CELERY_DATA_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        "control_folder": str(CELERY_DATA_DIR / "control"),
        "store_processed": False,
    }
else:
    # A web request that queues a task must not hang on a broker that is down (issue 13, item 2).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 1}
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
# acks_late is switched on per task, only where the task is idempotent.
CELERY_TASK_ACKS_LATE = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(CELERY_DATA_DIR / "beat-schedule")

# --- REST framework ---------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["knox.auth.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "EXCEPTION_HANDLER": "cases.api.problems.exception_handler",
}
REST_KNOX = {"TOKEN_TTL": None, "AUTO_REFRESH": False}
SPECTACULAR_SETTINGS: dict[str, Any] = {
    "TITLE": "ReturnPath API",
    "DESCRIPTION": "Orders to leave in, legal events in, case status out.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Request components carry a "Request" suffix and forbid unknown fields, as the API does.
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "cases.api.docs.strict_request_bodies",
    ],
    "ENUM_NAME_OVERRIDES": {
        "CaseStateEnum": "cases.models.State",
        "ProcedureKindEnum": "cases.models.LegalProcedure.Kind",
    },
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "PREPROCESSING_HOOKS": ["cases.api.docs.only_api_v1"],
}

# --- Domain configuration ---------------------------------------------------------------
# Where a case goes when no office serves the person's postcode (no known address).
RETURNPATH_DEFAULT_OFFICE_CODE = env.str("RETURNPATH_DEFAULT_OFFICE_CODE", default="BXL-1")
# Offices, service areas and playbooks are kept per process for this many seconds (decision 061); 0: off.
RETURNPATH_REFERENCE_CACHE_SECONDS = env.int("RETURNPATH_REFERENCE_CACHE_SECONDS", default=60)
RETURNPATH_RETENTION_DAYS = env.int("RETURNPATH_RETENTION_DAYS", default=365 * 5)
# Dashboards are served from the cache for this many seconds (a beat task keeps them warm); 0: always live.
RETURNPATH_DASHBOARD_MAX_AGE = env.int("RETURNPATH_DASHBOARD_MAX_AGE", default=300)
RETURNPATH_SMS_BACKEND = env.str("RETURNPATH_SMS_BACKEND", default="counselling.sms.LoggingSmsBackend")

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)  # a send that hangs ends, well inside the message lease
# Folder of Django's file e-mail backend (EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend).
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "sent-mail"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ReturnPath <noreply@returnpath.invalid>")

# --- Security (production) --------------------------------------------------------------
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    # Probes and Prometheus talk to the process directly, over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "returnpath.middleware.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s u=%(user_id)s c=%(client_id)s] %(message)s"},
        # One JSON object a line (python-json-logger): what a log platform indexes.
        "json": {
            "()": "returnpath.observability.logs.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(user_id)s %(client_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": env.str("LOG_FORMAT", default="json" if PRODUCTION else "plain"),
                    "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Settings owned by the API and the scheduling work (kept apart to keep this module readable).
from returnpath.conf.api import *  # noqa: E402, F403
from returnpath.conf.privacy import *  # noqa: E402, F403
from returnpath.conf.reach import *  # noqa: E402, F403
from returnpath.conf.returns import *  # noqa: E402, F403
from returnpath.conf.scheduling import *  # noqa: E402, F403

STORAGES["documents"] = DOCUMENT_STORAGE  # noqa: F405
CELERY_BEAT_SCHEDULE = {**CELERY_BEAT_SCHEDULE, **RETURNS_BEAT_SCHEDULE}  # noqa: F405
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(RETURNS_ENUM_NAME_OVERRIDES)  # noqa: F405
if PRODUCTION:
    from returnpath.conf.production import refuse_unsafe_settings

    refuse_unsafe_settings(globals())
