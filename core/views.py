"""View helpers every console shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from core.forms import add_service_errors

Result = TypeVar("Result")


def submit_form(
    request: HttpRequest,
    form: forms.Form,
    service: Callable[[dict[str, Any]], Result],
    *,
    done: str | Callable[[Result], str],
    redirect_to: str | Callable[[Result], str],
    show_errors: Callable[[forms.Form, ValidationError], None] = add_service_errors,
) -> HttpResponse | None:
    """Run a posted form's service on its cleaned data: on success flash `done` and redirect
    (a URL or URL name; either may be worked out from the service's result). None when the
    form or the service refused the input: the errors are on the form, which the caller
    re-renders with a 400."""
    if not form.is_valid():
        return None
    try:
        result = service(form.cleaned_data)
    except ValidationError as error:
        show_errors(form, error)
        return None
    messages.success(request, done(result) if callable(done) else done)
    return redirect(redirect_to(result) if callable(redirect_to) else redirect_to)
