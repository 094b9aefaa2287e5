"""Health you can tune: admins set each factor's weight per scope (default, a tier, an
onboarding stage); a CSM overrides one merchant's score with a reason until a date.
The daily computation (onboarding.scoring.compute_health) applies both."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from onboarding.models import (
    HEALTH_FACTORS,
    HealthOverride,
    HealthScore,
    HealthWeights,
    Stage,
    Tier,
    TimelineEntry,
    TimelineKind,
)
from tenants.models import Merchant

# An override is a judgement for now, not a new normal.
MAX_OVERRIDE_DAYS = 180


def weight_scopes() -> list[tuple[str, str]]:
    return [
        ("default", _("Every merchant (default)")),
        *((f"tier:{tier.value}", _("Tier %(tier)s") % {"tier": tier.label}) for tier in Tier),
        *(
            (f"stage:{stage.value}", _("Onboarding stage: %(stage)s") % {"stage": stage.label})
            for stage in Stage
        ),
    ]


def save_health_weights(*, scope: str, weights: dict[str, int], actor: User) -> HealthWeights:
    """Create or replace one scope's weights; every weight 0-100 and together exactly 100."""
    errors: dict[str, list[str]] = {}
    if scope not in dict(weight_scopes()):
        errors["scope"] = [_("Choose what these weights apply to.")]
    for factor in HEALTH_FACTORS:
        value = weights.get(factor)
        if not isinstance(value, int) or not 0 <= value <= 100:
            errors[factor] = [_("Enter a whole number from 0 to 100.")]
    if not errors and sum(weights[factor] for factor in HEALTH_FACTORS) != 100:
        errors["__all__"] = [
            _("The weights add up to %(total)s; they must add up to 100.")
            % {"total": sum(weights[factor] for factor in HEALTH_FACTORS)}
        ]
    if errors:
        raise ValidationError(errors)
    row, _created = HealthWeights.objects.update_or_create(
        scope=scope,
        defaults={**{factor: weights[factor] for factor in HEALTH_FACTORS}, "updated_by": actor},
    )
    return row


def remove_health_weights(*, scope: str) -> None:
    HealthWeights.objects.filter(scope=scope).exclude(scope="default").delete()


def override_health(
    *,
    merchant: Merchant,
    score: int,
    reason: str,
    expires_on: date,
    actor: User,
    now: datetime | None = None,
) -> HealthOverride:
    """Set the merchant's health to `score` until the end of `expires_on` (at most
    MAX_OVERRIDE_DAYS ahead); today's score row shows it at once, history keeps both."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not isinstance(score, int) or not 0 <= score <= 100:
        errors["score"] = [_("Enter a whole number from 0 to 100.")]
    if not reason:
        errors["reason"] = [_("Say why the computed score is wrong.")]
    elif len(reason) > 500:
        errors["reason"] = [_("Keep the reason under 500 characters.")]
    if expires_on <= today or expires_on > today + timedelta(days=MAX_OVERRIDE_DAYS):
        errors["expires_on"] = [
            _("Choose a date from tomorrow to %(days)s days ahead.") % {"days": MAX_OVERRIDE_DAYS}
        ]
    if errors:
        raise ValidationError(errors)
    expires_at = timezone.make_aware(datetime.combine(expires_on, time.max))
    with transaction.atomic():
        override = HealthOverride.objects.create(
            merchant=merchant,
            score=score,
            reason=reason,
            expires_at=expires_at,
            created_by=actor,
            created_at=now,
        )
        HealthScore.objects.filter(merchant=merchant, computed_on=today).update(
            override=override, override_score=score
        )
        TimelineEntry.objects.create(
            merchant=merchant,
            kind=TimelineKind.HEALTH,
            detail=_("Health set to %(score)s until %(date)s: %(reason)s")
            % {"score": score, "date": expires_on.isoformat(), "reason": reason},
            actor=actor,
            at=now,
        )
    return override


def withdraw_health_override(*, override: HealthOverride, actor: User) -> bool:
    now = timezone.now()
    with transaction.atomic():
        withdrawn = HealthOverride.objects.filter(pk=override.pk, withdrawn_at__isnull=True).update(
            withdrawn_at=now
        )
        if not withdrawn:
            return False
        HealthScore.objects.filter(override=override, computed_on=timezone.localdate(now)).update(
            override=None, override_score=None
        )
        TimelineEntry.objects.create(
            merchant_id=override.merchant_id,
            kind=TimelineKind.HEALTH,
            detail=_("Health override withdrawn"),
            actor=actor,
            at=now,
        )
    return True
