"""Health you can tune: weights per scope set by admins, overrides by CSMs with a reason and
an expiry, and a history that keeps both the computed and the overriding score."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from accounts.models import PlatformRole
from onboarding import health, scoring
from onboarding.models import HealthOverride, HealthScore, HealthWeights, Journey, Task
from onboarding.scoring import HealthMeasures, health_score, weights_for
from tests.conftest import on_host
from tests.factories import ShopFactory
from tests.factories_onboarding import make_csm

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
STEADY = HealthMeasures(
    orders_30d=15, selling_days_30d=6, onboarding="behind", overdue_invoices=1, tier="KA"
)


def logged_in(user) -> Client:
    client = on_host(Client(), "localhost")
    client.force_login(user)
    return client


def weights(**changes) -> dict[str, int]:
    return {**scoring.HEALTH_WEIGHTS, **changes}


def test_tuned_weights_score_each_factor_by_its_weight_times_its_quality():
    only_orders = weights(gmv_trend=0, orders=60, activity=10, onboarding=10, nps=10, invoices=10)

    # 15 of 30 orders: half the orders points; behind: half the onboarding points; no NPS
    # answer: 8/15 of the NPS points; one overdue invoice: half the invoice points.
    assert health_score(STEADY, only_orders) == (
        0 + 30 + 4 + 5 + 5 + 5,
        {"gmv_trend": 0, "orders": 30, "activity": 4, "onboarding": 5, "nps": 5, "invoices": 5},
    )
    assert health_score(STEADY) == health_score(STEADY, scoring.HEALTH_WEIGHTS)


def test_a_merchant_is_scored_by_its_stage_then_its_tier_then_the_default():
    tuned = {
        "default": weights(),
        "tier:KA": weights(gmv_trend=45, orders=0),
        "stage:setup": weights(onboarding=40, orders=0),
    }

    assert weights_for(STEADY, tuned) == tuned["tier:KA"]
    onboarding = HealthMeasures(stage="setup", tier="KA")
    assert weights_for(onboarding, tuned) == tuned["stage:setup"]
    assert weights_for(HealthMeasures(tier="C"), tuned) == tuned["default"]
    assert weights_for(HealthMeasures(tier="C"), {}) == scoring.HEALTH_WEIGHTS


def test_only_admins_save_weights_and_they_must_add_up_to_100():
    admin = logged_in(make_csm_admin())
    csm = logged_in(make_csm("csm@platform.test"))
    form = {"scope": "tier:KA", **weights(gmv_trend=35, orders=10)}

    refused = csm.post("/console/onboarding/health/", form)
    wrong_sum = admin.post("/console/onboarding/health/", {**form, "orders": "11"})
    negative = admin.post("/console/onboarding/health/", {**form, "nps": "-5"})
    saved = admin.post("/console/onboarding/health/", form)
    page = csm.get("/console/onboarding/health/").content.decode()

    assert refused.status_code == 403
    assert wrong_sum.status_code == 400
    assert "they must add up to 100" in wrong_sum.content.decode()
    assert negative.status_code == 400
    assert 'data-field="nps"' in negative.content.decode()
    assert saved.status_code == 302
    row = HealthWeights.objects.get()
    assert (row.scope, row.gmv_trend, row.orders) == ("tier:KA", 35, 10)
    assert 'data-scope="tier:KA"' in page
    assert 'id="health-weights-form"' not in page


def make_csm_admin():
    admin = make_csm("admin@platform.test")
    admin.platform_roles = [PlatformRole.CSM, PlatformRole.PLATFORM_ADMIN]
    admin.save(update_fields=["platform_roles"])
    return admin


def test_a_csm_override_holds_until_it_expires_and_history_keeps_both_scores():
    csm = make_csm("csm@platform.test")
    with time_machine.travel(NOW - timedelta(days=90), tick=False):
        shop = ShopFactory(slug="quiet", shop_name="Quiet Tea")
    Journey.objects.filter(merchant=shop.merchant).update(
        csm=csm, completed_at=NOW - timedelta(days=50)
    )
    page = f"/console/onboarding/merchants/{shop.merchant.pk}/health/override/"

    with time_machine.travel(NOW, tick=False):
        scoring.compute_health(NOW)
        computed = HealthScore.objects.get(merchant=shop.merchant).score
        client = logged_in(csm)
        no_reason = client.post(page, {"score": "80", "reason": " ", "expires_on": "2026-12-20"})
        past = client.post(page, {"score": "80", "reason": "x", "expires_on": "2026-11-20"})
        too_high = client.post(page, {"score": "101", "reason": "x", "expires_on": "2026-12-20"})
        saved = client.post(
            page,
            {
                "score": "80",
                "reason": "Seasonal closure, back in January",
                "expires_on": "2026-12-20",
            },
        )
        shown = client.get(f"/console/onboarding/merchants/{shop.merchant.pk}/").content.decode()

    assert computed < 40
    assert [r.status_code for r in (no_reason, past, too_high)] == [400, 400, 400]
    assert 'data-field="reason"' in no_reason.content.decode()
    assert 'data-field="expires_on"' in past.content.decode()
    assert 'data-field="score"' in too_high.content.decode()
    assert saved.status_code == 302
    assert HealthOverride.objects.count() == 1
    assert 'id="health-override"' in shown
    today = HealthScore.objects.get(merchant=shop.merchant, computed_on=NOW.date())
    assert (today.score, today.override_score, today.effective_score) == (computed, 80, 80)
    assert not today.is_red

    scoring.compute_health(NOW + timedelta(days=10))
    scoring.compute_health(NOW + timedelta(days=30))  # the override expired on 2026-12-20

    history = {
        row.computed_on: (row.score, row.override_score)
        for row in HealthScore.objects.filter(merchant=shop.merchant)
    }
    assert history[date(2026, 12, 12)] == (computed, 80)
    assert history[date(2027, 1, 1)] == (computed, None)
    # Red on the first day, green while the override held, red again once it lapsed: a task
    # for each turn to red, none while it held.
    mid = shop.merchant.pk
    assert sorted(
        Task.objects.filter(merchant=shop.merchant, source="health").values_list(
            "source_key", flat=True
        )
    ) == [f"health:{mid}:2026-12-02", f"health:{mid}:2027-01-01"]


def test_withdrawing_an_override_restores_the_computed_score_today():
    csm = make_csm("csm@platform.test")
    shop = ShopFactory(slug="calm")
    with time_machine.travel(NOW, tick=False):
        scoring.compute_health(NOW)
        override = health.override_health(
            merchant=shop.merchant,
            score=90,
            reason="Known outage",
            expires_on=date(2026, 12, 9),
            actor=csm,
        )
        client = logged_in(csm)
        url = f"/console/onboarding/merchants/{shop.merchant.pk}/health/override/{override.pk}/withdraw/"
        first = client.post(url)
        second = client.post(url)

    assert (first.status_code, second.status_code) == (302, 302)
    today = HealthScore.objects.get(merchant=shop.merchant)
    assert today.override_score is None
    assert HealthOverride.objects.get().withdrawn_at is not None
