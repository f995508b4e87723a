"""The Celery app. Configured from Django settings (CELERY_*); tasks are found in each app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "codeledger.settings")

app = Celery("codeledger")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
