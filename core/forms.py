from pathlib import Path

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms.renderers import DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist
from django.utils.functional import cached_property


class FormRenderer(Jinja2):
    """Every form of the site, its fields, labels, widgets and errors, rendered by Jinja2
    from Django's own Jinja2 copies of its form templates, and our field layout
    (templates/jinja2/forms/fields.html, what `{{ form }}` and includes/form.html show).

    The same HTML as Django's template engine gives, compiled to Python: with that engine a
    checkout form's ten fields cost more than the rest of the page (bench/checkout_http.py).
    """

    form_template_name = "forms/fields.html"

    def get_template(self, template_name: str):
        try:
            return self.engine.get_template(template_name)
        except TemplateDoesNotExist:
            # The widgets of Django's contrib apps (admin, auth) exist as Django templates only.
            return self.django_engine.get_template(template_name)

    @cached_property
    def django_engine(self):
        return DjangoTemplates.backend(
            {
                "APP_DIRS": True,
                "DIRS": [Path(forms.__file__).parent / "templates"],
                "NAME": "contrib-forms",
                "OPTIONS": {},
            }
        )

    @cached_property
    def engine(self):
        return self.backend(
            {
                "APP_DIRS": False,
                "DIRS": [
                    Path(settings.BASE_DIR) / "templates" / "jinja2",
                    Path(forms.__file__).parent / "jinja2",
                ],
                "NAME": "forms",
                "OPTIONS": {},
            }
        )


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's field errors on the form's fields. Errors about fields the form does
    not have (e.g. a formset's) become form errors that still name their field."""
    for field, problems in error.message_dict.items():
        if field in form.fields:
            form.add_error(field, problems)
        elif field == "__all__":
            form.add_error(None, problems)
        else:
            label = field.replace("_", " ").capitalize()
            form.add_error(None, [f"{label}: {problem}" for problem in problems])
