"""WSGI entry point (gunicorn config.wsgi)."""
import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
# Import the URLconf, and with it every view, now rather than on the first request: gunicorn
# preloads this module in its master (gunicorn.conf.py), so every worker it forks, including
# the ones max_requests recycles, starts with the views loaded instead of importing pandas,
# plotly and DRF on its first request.
import_module(settings.ROOT_URLCONF)
