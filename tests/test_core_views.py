"""core.views.submit_form: the consoles' form -> service -> errors -> redirect step."""

from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from core.views import submit_form


class RenameForm(forms.Form):
    name = forms.CharField(max_length=20)


def posted(data: dict):
    request = RequestFactory().post("/rename/", data)
    request._messages = CookieStorage(request)
    return request


def flashed(request) -> list[str]:
    return [str(message) for message in get_messages(request)]


def test_a_valid_form_runs_the_service_once_and_redirects_with_its_message():
    request = posted({"name": "  Tea  "})
    calls = []

    def rename(data):
        calls.append(data)
        return 7

    response = submit_form(
        request,
        RenameForm(request.POST),
        rename,
        done=lambda shop_id: f"Shop {shop_id} renamed.",
        redirect_to=lambda shop_id: f"/shops/{shop_id}/",
    )

    assert calls == [{"name": "Tea"}]
    assert response.status_code == 302 and response["Location"] == "/shops/7/"
    assert flashed(request) == ["Shop 7 renamed."]


def test_an_invalid_form_never_reaches_the_service():
    request = posted({"name": "x" * 21})
    form = RenameForm(request.POST)
    calls = []

    response = submit_form(request, form, calls.append, done="Renamed.", redirect_to="/shops/")

    assert response is None and calls == []
    assert form.errors == {"name": ["Ensure this value has at most 20 characters (it has 21)."]}
    assert flashed(request) == []


def refuse(data):
    raise ValidationError({"name": ["Taken."], "slug": ["In use."], "__all__": ["Closed."]})


def test_a_refusal_puts_the_services_errors_on_the_form_naming_their_fields():
    request = posted({"name": "Tea"})
    form = RenameForm(request.POST)

    response = submit_form(request, form, refuse, done="Renamed.", redirect_to="/shops/")

    assert response is None
    assert form.errors["name"] == ["Taken."]
    assert form.non_field_errors() == ["Slug: In use.", "Closed."]
    assert flashed(request) == []


def test_a_caller_may_show_a_refusal_its_own_way():
    request = posted({"name": "Tea"})
    form = RenameForm(request.POST)

    def as_form_errors(form, error):
        form.add_error(None, error.messages)

    response = submit_form(
        request, form, refuse, done="Renamed.", redirect_to="/shops/", show_errors=as_form_errors
    )

    assert response is None
    assert sorted(form.non_field_errors()) == ["Closed.", "In use.", "Taken."]
    assert "name" not in form.errors
