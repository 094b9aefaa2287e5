"""Production: HTTPS only, secure cookies, HSTS, CSP, manifest static files.

Required environment: SECRET_KEY, DATABASE_URL, REDIS_URL, PLATFORM_HOST, SHOP_DOMAIN.
"""

from .base import *  # noqa: F403
from .base import CONTENT_SECURITY_POLICY, env

DEBUG = False
SECRET_KEY = env("SECRET_KEY")
SITE_SCHEME = "https"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Shop media from a separate cookieless host or a CDN in front of object storage, with the
# headers of commerce.media (docs/scaling.md, "Media"): shop pages may show images from it,
# never run scripts from it.
MEDIA_URL = env("MEDIA_URL", default="/media/")
if not MEDIA_URL.startswith("/"):
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(MEDIA_URL)
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="smtp://localhost:25")
vars().update(EMAIL_CONFIG)

# Webhooks go to public addresses only, whatever the environment says.
WEBHOOK_ALLOW_LOOPBACK = False
