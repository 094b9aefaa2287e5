"""Settings shared by every environment; dev.py, test.py and prod.py say what differs.

Everything that varies between deployments comes from environment variables (12-factor).
With none set, the project talks to PostgreSQL and Redis on 127.0.0.1 with the defaults
below; `make demo` / `make test` start embedded servers and export the URLs when those
are not reachable (see devstack/services.py).
"""

from pathlib import Path
from urllib.parse import unquote

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

SECRET_KEY = env("SECRET_KEY", default="dev-insecure-secret-key-change-me-0123456789abcdef")
DEBUG = env.bool("DEBUG", default=False)

# Hosts: the bare platform domain serves signup, /console/ and /admin/; every shop lives on
# <slug>.<SHOP_DOMAIN> or a custom domain. Unknown hosts get a friendly 404 from
# tenants.middleware, so Django's own host check can stay open.
PLATFORM_HOST = env("PLATFORM_HOST", default="localhost")
SHOP_DOMAIN = env("SHOP_DOMAIN", default="localhost")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["*"])
SITE_SCHEME = env("SITE_SCHEME", default="http")

SHARED_APPS = [
    "django_tenants",
    "accounts",
    "tenants",
    "analytics",
    "billing",
    "onboarding",
    "reports",
    "outbox",
    "deadlines",
    "features",
    "community",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
]
TENANT_APPS = [
    "commerce.store",
    "commerce.catalog",
    "commerce.orders",
    "commerce.checkout",
    "commerce.payments",
    "commerce.plugins",
    "commerce.groupbuy",
    "commerce.shoppers",
    "commerce.developers",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Merchant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
# Every tenant schema is cloned from this pre-migrated schema (never migrated from zero on
# a request); see tenants/schemas.py.
TENANT_TEMPLATE_SCHEMA = "tenant_template"
# How many ready-made schemas the pool keeps so that signup only claims one.
TENANT_SCHEMA_POOL_SIZE = env.int("TENANT_SCHEMA_POOL_SIZE", default=5)
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenant"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
# Issue `SET search_path` once per schema switch, not before every query (django-tenants
# forgets the cached value on rollback, so this stays correct).
TENANT_LIMIT_SET_CALLS = True

MIDDLEWARE = [
    "tenants.middleware.MerchantHostMiddleware",
    # Records each API request made with a key (in the shop's schema, after the answer).
    "commerce.developers.middleware.ApiKeyAuditMiddleware",
    # NUL and other control characters in any parameter, and JSON nested too deep: a 400
    # naming the field before any view or the database sees them.
    "core.middleware.RejectControlCharactersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    # Innermost: records each staff request that wrote (who, what, when) after the view ran.
    "tenants.activity.StaffActivityMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.host_context",
                "billing.context_processors.billing_notice",
            ],
        },
    }
]

# Forms render through Jinja2 (core/forms.py says why).
FORM_RENDERER = "core.forms.FormRenderer"

WSGI_APPLICATION = "config.wsgi.application"
# bench/storefront.py compares the product page with a bare view served the same way.
BENCH_VIEWS = env.bool("BENCH_VIEWS", default=False)

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/commerce"),
}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
# A Unix socket directory arrives percent-encoded in the URL's host (embedded PostgreSQL).
DATABASES["default"]["HOST"] = unquote(DATABASES["default"]["HOST"])
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("CACHE_URL", default=REDIS_URL),
        # Per database: two databases served from one Redis (the full and smoke bench
        # databases, a dev database beside them) must never read each other's entries (a
        # shop's host cached with another database's schema name breaks every page).
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default=f"mp-{DATABASES['default']['NAME']}"),
        "TIMEOUT": 300,
        # The cache is an optimisation (core/cache_guard.py): a hung Redis must fail a
        # lookup in a second, not hold the request (redis-py waits for ever by default).
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.EmailBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# Rate limits per client address where money or accounts are made (core.ratelimit):
# "N/s|m|h|d"; an empty value switches a scope off. The API has DRF throttles below.
RATE_LIMITS = {
    "signup": env("RATE_LIMIT_SIGNUP", default="10/h"),
    "password_reset": env("RATE_LIMIT_PASSWORD_RESET", default="5/h"),
    "checkout": env("RATE_LIMIT_CHECKOUT", default="30/m"),
    "groupbuy_join": env("RATE_LIMIT_GROUPBUY_JOIN", default="30/m"),
    # Shopper sign-in links asked for, per client address (each email address also gets at most
    # commerce.shoppers.services.LINKS_PER_EMAIL_PER_HOUR, counted in the database).
    "shopper_sign_in": env("RATE_LIMIT_SHOPPER_SIGN_IN", default="10/h"),
}
# Behind a load balancer that sets it, e.g. "HTTP_X_FORWARDED_FOR" (first hop is the client).
RATE_LIMIT_CLIENT_IP_HEADER = env("RATE_LIMIT_CLIENT_IP_HEADER", default="")
RATELIMIT_USE_CACHE = "default"

# Login throttling: five failures for one username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
# Count every spelling of an address (case, spaces, Unicode forms) as one username.
AXES_USERNAME_CALLABLE = "accounts.identity.login_throttle_username"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True

# Sessions are read from Redis and kept in the database (core/sessions.py: cached_db whose
# cache calls survive a Redis outage); a shopper's page costs no session query.
SESSION_ENGINE = "core.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:", "https://*.stripe.com"],
        "style-src": ["'self'"],
        # Stripe.js renders the card form (Payment Element) in its own frames.
        "script-src": ["'self'", "https://js.stripe.com"],
        "frame-src": ["https://js.stripe.com", "https://hooks.stripe.com"],
        "connect-src": ["'self'", "https://api.stripe.com"],
        # Login handoffs redirect a form post from the platform host to a shop host (and
        # back); `:*` lets that work on development ports too.
        "form-action": ["'self'", f"*.{SHOP_DOMAIN}:*", f"{PLATFORM_HOST}:*"],
        "frame-ancestors": ["'none'"],
        # No <base> may redirect relative URLs (scripts, form posts) elsewhere.
        "base-uri": ["'none'"],
    }
}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / ".data" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / ".data" / "media"))
MEDIA_URL = "/media/"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Merchant Platform <no-reply@localhost>")

REST_FRAMEWORK = {
    # The key first: its challenge makes "not authenticated" a 401 (WWW-Authenticate).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "commerce.developers.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["commerce.developers.permissions.ShopMemberOrScopedKey"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "commerce.developers.pagination.ApiCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttles.ApiUserThrottle",
        "commerce.developers.throttles.ApiKeyThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "api_user": env("RATE_LIMIT_API_USER", default="1200/min") or None,
        "api_key": env("RATE_LIMIT_API_KEY", default="600/min") or None,
    },
    # JSON nested deeper than core.input.MAX_JSON_DEPTH is a 400, not a RecursionError.
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Merchant API",
    "DESCRIPTION": (
        "The API of one shop: every call runs in the shop named by the host. "
        "Authenticate with an API key made in /manage/developers/ "
        "(`Authorization: Bearer mpk_…`; scopes read/write per resource: a missing scope is "
        "a 403) or a member's browser session. Limits: 600 requests a minute per key "
        "(RATE_LIMIT_API_KEY), 1,200 per signed-in member; over it 429 with Retry-After. "
        "Lists use cursor pagination (`next`/`previous` links, `page_size` up to 200). "
        "Every POST accepts an `Idempotency-Key` header: a repeat replays the first answer. "
        'Errors: `{"<field>": ["…"]}` naming the field (400) or `{"detail": "…"}`.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the installed package, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Every operation also documents its error answers (400/401/403/404/429).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.openapi.add_common_error_responses",
    ],
}

# Stripe (platform account; shops use Stripe Connect accounts). Without a key, card
# payments are simply not offered.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="https://api.stripe.com")

# Platform billing: Stripe invoices on the platform account (its own webhook endpoint and
# secret), or bank transfer.
PLATFORM_NAME = env("PLATFORM_NAME", default="Merchant Platform")
STRIPE_BILLING_WEBHOOK_SECRET = env("STRIPE_BILLING_WEBHOOK_SECRET", default="")
BILLING_BANK_ACCOUNT = env(
    "BILLING_BANK_ACCOUNT", default="Merchant Platform Ltd · IBAN GB00 DEMO 0000 0000 0000 00"
)
# The issuer block of invoices and credit notes (the platform's legal entity).
BILLING_ISSUER_NAME = env("BILLING_ISSUER_NAME", default="Merchant Platform Ltd")
BILLING_ISSUER_ADDRESS = env(
    "BILLING_ISSUER_ADDRESS", default="88 Century Avenue, Pudong, Shanghai 200120, China"
)
BILLING_ISSUER_TAX_ID = env("BILLING_ISSUER_TAX_ID", default="91310000MA1FL0000X")
BILLING_PAYMENT_TERMS_DAYS = env.int("BILLING_PAYMENT_TERMS_DAYS", default=14)
BILLING_DUNNING_DAYS = (1, 3, 7)
BILLING_RENEWAL_REMINDER_DAYS = (30, 14, 7, 1)
BILLING_SUSPEND_AFTER_DAYS = env.int("BILLING_SUSPEND_AFTER_DAYS", default=14)
# /console/metrics/ keeps a computed page this long: longer than the 15 minutes between
# roll-up refreshes, which invalidate and rebuild it (as spend and margin entries invalidate
# it). 0 computes every view.
REPORTS_METRICS_CACHE_SECONDS = env.int("REPORTS_METRICS_CACHE_SECONDS", default=20 * 60)

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
# Redis outages (docs/architecture.md, "Failure modes"): kombu's Redis transport minus its
# crash on a lost connection (config/celery.py); a worker retries the broker for ever
# instead of exiting after 100 attempts; short socket timeouts so a hung Redis fails a
# send in seconds, not minutes; a task running when the connection drops is cancelled (it
# is acks_late: Redis redelivers it) rather than run twice.
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT = "config.celery:RedisTransport"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 10,
    "retry_on_timeout": True,
    "health_check_interval": 25,
}
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="default")
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    # A beta past its end date switches its feature flag off for every participant.
    "community-end-betas": {
        "task": "community.tasks.end_finished_betas",
        "schedule": crontab(minute=5),
    },
    "billing-monthly-run": {
        "task": "billing.tasks.run_monthly_billing",
        # Each merchant's month closes at its own local midnight. Every 15 minutes, not 6
        # hours: a run whose worker was hard-killed is finished by the next beat within a
        # quarter of an hour (its message would wait the broker's visibility timeout, an
        # hour, which we keep: the 15-minute checkout and group-buy ETA tasks must not be
        # redelivered while they wait). Runs never overlap (an advisory lock) and skip what
        # is billed, so a frequent run costs a few queries.
        "schedule": crontab(minute="*/15"),
    },
    # The settlement deadlines of card checkouts whose ETA task the broker lost: only the
    # shops the public due-shop index names as due are visited.
    "checkout-settlement-sweep": {
        "task": "commerce.checkout.tasks.sweep_due_checkouts",
        "schedule": 120.0,
    },
    "refresh-monthly-stats": {
        "task": "reports.tasks.refresh_monthly_stats_task",
        "schedule": 15 * 60.0,
    },
    "measure-shop-storage": {
        "task": "commerce.store.tasks.measure_storage",
        "schedule": crontab(minute=0, hour=3),
    },
    "billing-daily-sweeps": {
        "task": "billing.tasks.billing_daily_sweeps",
        "schedule": crontab(minute=15, hour="*"),
    },
    "refill-schema-pool": {
        "task": "tenants.tasks.refill_schema_pool",
        "schedule": 60.0,
    },
    # Journeys, ledger milestones, SLA alerts, day-30 tiering, NPS waves (public tables only).
    "onboarding-sweep": {
        "task": "onboarding.tasks.onboarding_sweep",
        "schedule": 180.0,
    },
    "onboarding-health": {
        "task": "onboarding.tasks.compute_health",
        "schedule": crontab(minute=30, hour=2),
    },
    "onboarding-monthly-tiers": {
        "task": "onboarding.tasks.monthly_tiers",
        "schedule": crontab(minute=0, hour=3, day_of_month=1),
    },
    # Rebuild 35 days of a random sample of shops from their orders; drift is logged.
    "ledger-check-sample": {
        "task": "commerce.orders.tasks.check_ledger_sample",
        "schedule": crontab(minute=0, hour=4, day_of_week="sun"),
    },
    # Safety net behind the per-team ETA tasks: expire due teams, release lapsed seats, in
    # the shops the index of due shops names; daily, every group-buy shop (the fallback).
    "groupbuy-sweep": {
        "task": "commerce.groupbuy.tasks.sweep_groupbuy_shops",
        "schedule": 5 * 60.0,
    },
    "groupbuy-sweep-all": {
        "task": "commerce.groupbuy.tasks.sweep_all_groupbuy_shops",
        "schedule": crontab(minute=15, hour=3),
    },
    # Safety net behind the wake-up sent after each commit that enqueued, and the clock of
    # retries: deliver every due outbox message.
    "outbox-deliver": {
        "task": "outbox.tasks.deliver_outbox",
        "schedule": 60.0,
    },
}
# The outbox retries a failed message after 1, 2, 4 … minutes (at most an hour apart);
# after this many attempts it is parked as failed until staff retry it.
OUTBOX_RETRY_BASE_SECONDS = env.int("OUTBOX_RETRY_BASE_SECONDS", default=60)
# A commit that enqueued wakes a delivery task at once (else the beat run sends within a
# minute). Tests that deliver the outbox themselves switch it off.
OUTBOX_WAKE_AFTER_COMMIT = env.bool("OUTBOX_WAKE_AFTER_COMMIT", default=True)
OUTBOX_RETRY_CAP_SECONDS = env.int("OUTBOX_RETRY_CAP_SECONDS", default=60 * 60)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)

# Outbound webhooks (commerce/developers/delivery.py): timeouts, retries of timeouts,
# connection errors and 5xx with backoff and jitter for up to three days, the circuit
# breaker. WEBHOOK_ALLOW_LOOPBACK lets tests and benches deliver to a receiver on
# 127.0.0.1; production never sets it (prod.py forces it off).
WEBHOOK_CONNECT_TIMEOUT_SECONDS = env.float("WEBHOOK_CONNECT_TIMEOUT_SECONDS", default=3)
WEBHOOK_READ_TIMEOUT_SECONDS = env.float("WEBHOOK_READ_TIMEOUT_SECONDS", default=5)
WEBHOOK_RETRY_BASE_SECONDS = env.int("WEBHOOK_RETRY_BASE_SECONDS", default=30)
WEBHOOK_RETRY_CAP_SECONDS = env.int("WEBHOOK_RETRY_CAP_SECONDS", default=6 * 60 * 60)
WEBHOOK_RETRY_FOR_SECONDS = env.int("WEBHOOK_RETRY_FOR_SECONDS", default=3 * 24 * 60 * 60)
WEBHOOK_BREAKER_THRESHOLD = env.int("WEBHOOK_BREAKER_THRESHOLD", default=10)
WEBHOOK_BREAKER_COOLDOWN_SECONDS = env.int("WEBHOOK_BREAKER_COOLDOWN_SECONDS", default=600)
WEBHOOK_SECRET_OVERLAP_SECONDS = env.int("WEBHOOK_SECRET_OVERLAP_SECONDS", default=24 * 60 * 60)
WEBHOOK_ALLOW_LOOPBACK = env.bool("WEBHOOK_ALLOW_LOOPBACK", default=False)
CELERY_TIMEZONE = "UTC"

# Customer success (onboarding app). A stage past its due date is Behind; this many days
# later it is Stuck and the CSM's manager is alerted.
ONBOARDING_STUCK_AFTER_DAYS = env.int("ONBOARDING_STUCK_AFTER_DAYS", default=3)
# The sweep gives a journey to merchants without one that signed up at most this long ago
# (older merchants predate onboarding; they still get tiers, health and NPS).
ONBOARDING_BACKFILL_DAYS = env.int("ONBOARDING_BACKFILL_DAYS", default=30)
ONBOARDING_NPS_REMINDER_AFTER_DAYS = env.int("ONBOARDING_NPS_REMINDER_AFTER_DAYS", default=5)
# Whoever asks, a merchant gets at most one NPS survey in this many days.
ONBOARDING_NPS_QUIET_DAYS = env.int("ONBOARDING_NPS_QUIET_DAYS", default=30)
# Fewer paid orders than this in 30 days with the store live: "needs operations help".
ONBOARDING_LOW_ACTIVITY_ORDERS = env.int("ONBOARDING_LOW_ACTIVITY_ORDERS", default=10)
ONBOARDING_HEALTH_RED_BELOW = env.int("ONBOARDING_HEALTH_RED_BELOW", default=40)

# The merchant community's questions are answered in two rounds each working day, in the
# platform's timezone: by the morning cut-off (questions from after hours) and by the end
# of the day (questions asked during it, up to the last intake; later ones go to the next
# morning). Working days are ISO weekdays (1 Monday … 7 Sunday).
COMMUNITY_TIMEZONE = env("COMMUNITY_TIMEZONE", default="Asia/Shanghai")
COMMUNITY_WORKDAYS = env.list("COMMUNITY_WORKDAYS", cast=int, default=[1, 2, 3, 4, 5])
COMMUNITY_WORKDAY_START = env("COMMUNITY_WORKDAY_START", default="09:00")
COMMUNITY_MORNING_CUTOFF = env("COMMUNITY_MORNING_CUTOFF", default="10:00")
COMMUNITY_LAST_INTAKE = env("COMMUNITY_LAST_INTAKE", default="17:30")
COMMUNITY_EVENING_CUTOFF = env("COMMUNITY_EVENING_CUTOFF", default="18:00")
# Demand weighting on the triage board: a voter weighs its tier's weight plus its monthly
# average GMV divided by this (an SKA's need weighs more).
COMMUNITY_GMV_WEIGHT_UNIT = env.int("COMMUNITY_GMV_WEIGHT_UNIT", default=100_000)
# A voter whose subscription term ends within this many days counts as at risk.
COMMUNITY_RENEWAL_RISK_DAYS = env.int("COMMUNITY_RENEWAL_RISK_DAYS", default=30)

# Shops whose ledger the weekly check rebuilds and compares (commerce.orders.tasks).
LEDGER_CHECK_SAMPLE_SIZE = env.int("LEDGER_CHECK_SAMPLE_SIZE", default=50)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
