"""Headers on every answer the application itself makes (decision 021).

Static files are answered by whitenoise before this middleware and keep their long cache
lifetimes; everything else may carry personal data (pages, fragments, API answers, exports,
letters) and is never stored by a browser or a proxy.
"""

from django.conf import settings
from django.utils.cache import patch_cache_control


class PrivacyHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "max-age" in response.get("Cache-Control", "") or "public" in response.get("Cache-Control", ""):
            del response["Cache-Control"]
        patch_cache_control(response, no_store=True, private=True)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY)
        return response
