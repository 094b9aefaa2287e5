"""Numbers typed in by people, checked against the database column that will hold them.

A price of ``1e309`` or forty 9s used to reach ``Decimal.quantize`` (InvalidOperation) or
PostgreSQL (numeric field overflow, integer out of range) and answer 500. These helpers read
the model field's precision (max_digits / decimal_places, for the money checks of
commerce.money) or PostgreSQL's integer range (form and serializer fields) so that the limit
lives in one place, the model.
"""

from __future__ import annotations

from django import forms
from django.db import connection, models
from rest_framework import serializers


def decimal_precision(model_field: models.DecimalField) -> dict[str, int]:
    """The column's max_digits and decimal_places, as keyword arguments."""
    return {"max_digits": model_field.max_digits, "decimal_places": model_field.decimal_places}


def integer_range(model_field: models.Field) -> tuple[int, int]:
    """The smallest and largest value the column holds (PostgreSQL smallint, integer,
    bigint; positive fields start at 0)."""
    low, high = connection.ops.integer_field_range(model_field.get_internal_type())
    if low is None:
        low = -(2**63)
    if high is None:
        high = 2**63 - 1
    return low, high


def integer_form_field(model_field: models.Field, **kwargs) -> forms.IntegerField:
    """A form field for a whole number stored in `model_field` (its range)."""
    low, high = integer_range(model_field)
    kwargs["min_value"] = max(low, kwargs.get("min_value", low))
    kwargs["max_value"] = min(high, kwargs.get("max_value", high))
    return forms.IntegerField(**kwargs)


def integer_serializer_field(model_field: models.Field, **kwargs) -> serializers.IntegerField:
    """A serializer field for a whole number stored in `model_field` (its range)."""
    low, high = integer_range(model_field)
    kwargs["min_value"] = max(low, kwargs.get("min_value", low))
    kwargs["max_value"] = min(high, kwargs.get("max_value", high))
    return serializers.IntegerField(**kwargs)
