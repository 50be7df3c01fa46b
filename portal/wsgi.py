"""WSGI entry point for gunicorn."""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()
# Import every view (and the PDF, chart and spreadsheet libraries behind them) as the process starts,
# not during the first request it serves, which then took a second or more.
get_resolver().url_patterns  # noqa: B018
