"""WSGI entry point (gunicorn: run with platform/ on sys.path, e.g. --chdir platform)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "codeledger.settings")
application = get_wsgi_application()
