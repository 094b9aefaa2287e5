"""The test suite: real PostgreSQL and Redis, fast hashing, in-memory email."""

import tempfile

from .base import *  # noqa: F403
from .base import CACHES, REDIS_URL, env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# One Redis may serve several test runs at once; keep their cache keys apart.
CACHES["default"]["KEY_PREFIX"] = env("CACHE_KEY_PREFIX", default="mp-test")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
TENANT_SCHEMA_POOL_SIZE = env.int("TENANT_SCHEMA_POOL_SIZE", default=0)
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="test")
# A Redis database of its own: tests clear the cache between tests.
CACHES["default"]["LOCATION"] = env("TEST_CACHE_URL", default=REDIS_URL.rsplit("/", 1)[0] + "/15")
# Static files come from the finders in tests (the live server serves them itself).
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405
AXES_VERBOSE = False
# Uploads go to a throwaway folder.
MEDIA_ROOT = tempfile.mkdtemp(prefix="merchant-platform-media-")
