"""Numbers typed in by people, checked against the database column that will hold them.

A price of ``1e309`` or forty 9s used to reach ``Decimal.quantize`` (InvalidOperation) or
PostgreSQL (numeric field overflow, integer out of range) and answer 500. These helpers read
the model field's precision (max_digits / decimal_places) or PostgreSQL's integer range and
refuse out-of-range input with a message on the field, in forms, serializers and services
alike.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.utils.translation import gettext as _
from rest_framework import serializers

ZERO = Decimal(0)


def decimal_precision(model_field: models.DecimalField) -> dict[str, int]:
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


def check_decimal(
    value,
    field: str,
    *,
    max_digits: int,
    decimal_places: int,
    min_value: Decimal | None = ZERO,
) -> Decimal:
    """`value` as a Decimal that fits a numeric(max_digits, decimal_places) column: finite,
    not below `min_value`, no more digits before or after the point than the column has.
    Raises ValidationError({field: [...]})."""
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: [_("Enter a number.")]}) from None
    if not number.is_finite():
        raise ValidationError({field: [_("Enter a number.")]})
    if min_value is not None and number < min_value:
        if min_value == ZERO:
            raise ValidationError({field: [_("Enter an amount of 0 or more.")]})
        raise ValidationError(
            {field: [_("Enter an amount of %(limit)s or more.") % {"limit": min_value}]}
        )
    whole_digits = max_digits - decimal_places
    if number != 0 and number.adjusted() >= whole_digits:
        limit = Decimal(10) ** whole_digits
        raise ValidationError({field: [_("Enter an amount below %(limit)s.") % {"limit": limit}]})
    if number.as_tuple().exponent < -decimal_places and number != number.quantize(
        Decimal(1).scaleb(-decimal_places)
    ):
        raise ValidationError(
            {field: [_("Use at most %(places)s decimal places.") % {"places": decimal_places}]}
        )
    return number


def check_integer(value, field: str, *, model_field: models.Field, min_value: int | None = None):
    """`value` as an int the column holds (and not below `min_value`)."""
    low, high = integer_range(model_field)
    if min_value is not None:
        low = max(low, min_value)
    if isinstance(value, bool):
        raise ValidationError({field: [_("Enter a whole number.")]})
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise ValidationError({field: [_("Enter a whole number.")]}) from None
    if not low <= number <= high:
        raise ValidationError(
            {
                field: [
                    _("Enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
                ]
            }
        )
    return number


class MoneyFormField(forms.DecimalField):
    """A DecimalField whose messages name the column's limit in money words."""

    def __init__(self, *, max_digits: int, decimal_places: int, min_value=ZERO, **kwargs):
        super().__init__(
            max_digits=max_digits, decimal_places=decimal_places, min_value=min_value, **kwargs
        )

    def run_validators(self, value):
        # check_decimal speaks in money words where Django's own digit validators
        # would say "digits in total".
        if value in self.empty_values:
            return
        try:
            check_decimal(
                value,
                "value",
                max_digits=self.max_digits,
                decimal_places=self.decimal_places,
                min_value=self.min_value,
            )
        except ValidationError as error:
            raise ValidationError(error.message_dict["value"]) from None


def money_form_field(model_field: models.DecimalField, **kwargs) -> MoneyFormField:
    """A form field for an amount stored in `model_field` (its precision, 0 or more)."""
    kwargs.setdefault("required", not model_field.blank)
    return MoneyFormField(**decimal_precision(model_field), **kwargs)


def integer_form_field(model_field: models.Field, **kwargs) -> forms.IntegerField:
    """A form field for a whole number stored in `model_field` (its range)."""
    low, high = integer_range(model_field)
    kwargs["min_value"] = max(low, kwargs.get("min_value", low))
    kwargs["max_value"] = min(high, kwargs.get("max_value", high))
    return forms.IntegerField(**kwargs)


class MoneySerializerField(serializers.DecimalField):
    """A DecimalField for the API whose errors say the column's limits in money words."""

    def validate_empty_values(self, data):
        # An empty string clears an optional amount, as an empty form field does.
        if data == "" and self.allow_null:
            return True, None
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (str, int, float, Decimal)):
            self.fail("invalid")
        if isinstance(data, str) and len(data) > 100:
            self.fail("invalid")
        try:
            return check_decimal(
                data,
                "value",
                max_digits=self.max_digits,
                decimal_places=self.decimal_places,
                min_value=self.min_value,
            )
        except ValidationError as error:
            raise serializers.ValidationError(error.message_dict["value"]) from None


def money_serializer_field(model_field: models.DecimalField, **kwargs) -> MoneySerializerField:
    """A serializer field for an amount stored in `model_field` (its precision, 0 or more)."""
    kwargs.setdefault("min_value", ZERO)
    if model_field.null:
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("required", False)
    return MoneySerializerField(**decimal_precision(model_field), **kwargs)


def integer_serializer_field(model_field: models.Field, **kwargs) -> serializers.IntegerField:
    """A serializer field for a whole number stored in `model_field` (its range)."""
    low, high = integer_range(model_field)
    kwargs["min_value"] = max(low, kwargs.get("min_value", low))
    kwargs["max_value"] = min(high, kwargs.get("max_value", high))
    return serializers.IntegerField(**kwargs)
