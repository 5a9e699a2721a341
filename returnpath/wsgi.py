import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "returnpath.settings")

from returnpath.chunked import ChunkedBodyMiddleware

application = ChunkedBodyMiddleware(get_wsgi_application())
