"""The Celery app. Tasks are tenant-aware: a task sent from a tenant request carries the
schema name in its headers (tenant-schemas-celery) and runs in that schema."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = CeleryApp("merchant_platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
