"""Refuse request input no field can hold, before any view sees it.

A NUL byte (or another C0 control character but tab, line feed and carriage return) in
the path, a query parameter, a form field or a JSON value made views crash in PostgreSQL
("string literal cannot contain NUL"); a JSON body nested thousands deep crashed the
parser. Both answer 400 here, naming the parameter: an HTML page for browsers, DRF's
``{"<field>": ["..."]}`` shape under /api/.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.input import (
    MAX_JSON_DEPTH,
    TooDeeplyNested,
    field_label,
    has_control_characters,
    json_strings,
)

API_PREFIX = "/api/"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class BadInput(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(field, message)
        self.field = field
        self.message = message


def _form_pairs(request: HttpRequest) -> Iterator[tuple[str, str]]:
    for name, values in request.GET.lists():
        yield name, name
        for value in values:
            yield name, value
    if request.method in ("POST", "PUT", "PATCH") and request.content_type in FORM_TYPES:
        for name, values in request.POST.lists():
            yield name, name
            for value in values:
                yield name, value
        for name, upload in request.FILES.items():
            yield name, upload.name or ""


def _check_json(request: HttpRequest) -> None:
    if not request.content_type.endswith("json") or not request.body:
        return
    try:
        document = json.loads(request.body)
    except RecursionError:
        raise BadInput(
            "non_field_errors",
            _("The JSON document is nested more than %(limit)s levels deep.")
            % {"limit": MAX_JSON_DEPTH},
        ) from None
    except ValueError:
        return  # malformed JSON: the parser of the view says so
    try:
        for field, text in json_strings(document):
            if has_control_characters(text):
                raise BadInput(field or "non_field_errors", _control_message())
    except TooDeeplyNested:
        raise BadInput(
            "non_field_errors",
            _("The JSON document is nested more than %(limit)s levels deep.")
            % {"limit": MAX_JSON_DEPTH},
        ) from None


def _control_message() -> str:
    return _("Remove the control characters (such as NUL) from this value.")


# Stripe's webhooks check their signed raw body themselves and answer 200 "ignored" to what
# they cannot use: a 400 here would make Stripe redeliver a signed event for days.
SIGNED_BODY_PATHS = ("/webhooks/stripe/",)


def check_request(request: HttpRequest) -> None:
    """Raise BadInput naming the first parameter that holds a control character."""
    if has_control_characters(request.path):
        raise BadInput("path", _("Remove the control characters (such as NUL) from the address."))
    for name, text in _form_pairs(request):
        if has_control_characters(text):
            raise BadInput(field_label(name), _control_message())
    if not request.path.startswith(SIGNED_BODY_PATHS):
        _check_json(request)


class RejectControlCharactersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            check_request(request)
        except (RequestDataTooBig, TooManyFieldsSent):
            return bad_input_response(
                request,
                "non_field_errors",
                _("The request is too large: send at most %(megabytes)s MB of form data.")
                % {"megabytes": settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)},
            )
        except BadInput as problem:
            return bad_input_response(request, problem.field, problem.message)
        return self.get_response(request)


def bad_input_response(request: HttpRequest, field: str, message: str) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({field: [message]}, status=400)
    return render(
        request, "errors/bad_input.html", {"field": field, "message": message}, status=400
    )
