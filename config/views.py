from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from config.celery import app as celery_app


def not_available(request, section: str):
    """A console section that is not built yet: a plain page, never a 500."""
    return render(request, "not_available.html", {"section": section})


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _check_redis() -> str:
    cache.set("healthz:ping", "pong", 10)
    return "ok" if cache.get("healthz:ping") == "pong" else "error"


def _check_worker() -> str:
    replies = celery_app.control.ping(timeout=1.0)
    return "ok" if replies else "no worker answered"


@never_cache
def healthz(request):
    """Database, Redis and Celery worker status.

    503 only when the database fails: nothing works without it. Redis or the worker failing
    is "degraded" with a 200: the shops keep serving from the database (the cache is an
    optimisation, task sends fail soft and the beat sweeps recover deadlines), and a load
    balancer that pulled every web node out because Redis blipped would close them all.
    """
    report = {}
    for name, check in (
        ("database", _check_database),
        ("redis", _check_redis),
        ("worker", _check_worker),
    ):
        try:
            report[name] = check()
        except Exception as error:  # a health check reports failures, it does not raise
            report[name] = f"error: {error.__class__.__name__}"
    if report["database"] != "ok":
        status, http_status = "down", 503
    elif all(value == "ok" for value in report.values()):
        status, http_status = "ok", 200
    else:
        status, http_status = "degraded", 200
    return JsonResponse({"status": status, **report}, status=http_status)


def bench_bare_view(request):
    """The benchmark's yardstick: the same middleware stack and one primary-key select."""
    from commerce.catalog.models import Variant

    price = Variant.objects.filter(pk=1).values_list("price", flat=True).first()
    return HttpResponse(f"price={price}")
