"""Settings of data protection and sign-in (issue 11; decisions 020-027)."""

import environ

_env = environ.Env()
_PRODUCTION = _env.str("DJANGO_ENV", default="development") == "production"

# --- sign-in (decision 025) -----------------------------------------------------------------
AUTHENTICATION_BACKENDS = ["returnpath.accounts.backends.ThrottledModelBackend"]
LOGIN_FAILURE_WINDOW_SECONDS = _env.int("RETURNPATH_LOGIN_FAILURE_WINDOW_SECONDS", default=15 * 60)
LOGIN_MAX_FAILURES_PER_USER_AND_ADDRESS = _env.int("RETURNPATH_LOGIN_MAX_FAILURES_PER_USER_AND_ADDRESS", default=5)
LOGIN_MAX_FAILURES_PER_USER = _env.int("RETURNPATH_LOGIN_MAX_FAILURES_PER_USER", default=10)
LOGIN_MAX_FAILURES_PER_ADDRESS = _env.int("RETURNPATH_LOGIN_MAX_FAILURES_PER_ADDRESS", default=20)
# Signed out this long after signing in, however active (the idle timeout is SESSION_COOKIE_AGE).
SESSION_ABSOLUTE_AGE = _env.int("SESSION_ABSOLUTE_AGE", default=12 * 60 * 60)
RETURNPATH_REQUIRE_SECOND_FACTOR = _env.bool("RETURNPATH_REQUIRE_SECOND_FACTOR", default=_PRODUCTION)
OTP_TOTP_ISSUER = "ReturnPath"

# --- headers (decision 021) -----------------------------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # htmx adds its indicator styles inline; no script is ever inline.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=()"
)
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# The API schema and its documentation pages only for signed-in staff (on in production).
RETURNPATH_API_DOCS_REQUIRE_LOGIN = _env.bool("RETURNPATH_API_DOCS_REQUIRE_LOGIN", default=_PRODUCTION)
