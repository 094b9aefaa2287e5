from django import forms
from django.core.exceptions import ValidationError


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
