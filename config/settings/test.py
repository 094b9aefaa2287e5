"""The test suite: real PostgreSQL and Redis, fast hashing, in-memory email."""

import os
import tempfile

from .base import *  # noqa: F403
from .base import CACHES, DATABASES, REDIS_URL, env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# One Redis may serve several test runs at once: each run gets cache keys and a Celery
# queue of its own (the worker subprocess is handed the same names).
TEST_RUN_ID = env("TEST_RUN_ID", default=str(os.getpid()))
CACHES["default"]["KEY_PREFIX"] = f"mp-test-{TEST_RUN_ID}"
# ...and a test database of its own.
DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{TEST_RUN_ID}"}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
TENANT_SCHEMA_POOL_SIZE = env.int("TENANT_SCHEMA_POOL_SIZE", default=0)
CELERY_TASK_DEFAULT_QUEUE = f"test-{TEST_RUN_ID}"
# A Redis database apart from the development cache; each run deletes only its own keys.
CACHES["default"]["LOCATION"] = env("TEST_CACHE_URL", default=REDIS_URL.rsplit("/", 1)[0] + "/15")
# Static files come from the finders in tests (the live server serves them itself).
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405
AXES_VERBOSE = False
# Uploads go to a throwaway folder.
MEDIA_ROOT = tempfile.mkdtemp(prefix="merchant-platform-media-")
# Tests open many shops and checkouts from one address; the rate-limit tests switch a
# scope on with the `settings` fixture.
RATE_LIMITS = {scope: "" for scope in RATE_LIMITS}  # noqa: F405
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"api_user": None, "api_key": None},
}
