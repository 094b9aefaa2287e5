"""NPS arithmetic, tiers and segments, the health score: from known inputs to exact figures."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation

from analytics.events import OrderPaid, OrderRefunded, OutletsChanged
from analytics.ledger import StatsDelta, record_event
from analytics.metrics import NpsFigure, nps_figure
from onboarding import scoring, services
from onboarding.models import (
    HealthScore,
    Journey,
    NpsResponse,
    NpsSurvey,
    Task,
    TierAssignment,
    TierThreshold,
    TimelineEntry,
)
from onboarding.scoring import HealthMeasures, health_score
from onboarding.selectors import nps_report
from tests.factories import ShopFactory, UserFactory
from tests.factories_onboarding import make_csm

NOW = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)


# ---------------------------------------------------------------------------- NPS


def test_nps_is_percent_promoters_minus_percent_detractors_never_an_average():
    promoters, passives, detractors = [9, 10, 9, 10, 9], [7, 8, 7], [0, 6]
    answers = [*promoters, *passives, *detractors]

    figure = nps_figure(answers)

    assert figure == NpsFigure(respondents=10, promoters=5, passives=3, detractors=2)
    assert figure.score == Decimal("30.0")
    assert sum(answers) / len(answers) != 30  # the average (7.5) is not the NPS


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ([], None),
        ([10, 10], Decimal("100.0")),
        ([0, 3, 6], Decimal("-100.0")),
        ([7, 8, 8], Decimal("0.0")),
        ([9, 7, 8], Decimal("33.3")),  # 33.33 to one place
        ([9, 9, 0, 7, 8, 7, 7, 7], Decimal("12.5")),
        ([9] + [7] * 15, Decimal("6.3")),  # 6.25 rounds half up (half-even would give 6.2)
        ([0] + [7] * 15, Decimal("-6.3")),  # and half away from zero below it
        ([6, 7, 9, 10], Decimal("25.0")),  # 6 is a detractor, 7 a passive
    ],
)
def test_nps_edges(answers, expected):
    assert nps_figure(answers).score == expected


@pytest.mark.django_db
def test_an_owner_answers_once_and_a_detractor_gives_the_csm_a_task():
    csm = make_csm("csm@platform.test")
    shop = ShopFactory(slug="answering")
    staff = UserFactory(email="staff@answering.test")
    services_add_staff(shop.merchant, staff)
    survey = NpsSurvey.objects.create(merchant=shop.merchant, wave=0)

    with pytest.raises(ValidationError) as bad_score:
        services.answer_nps(survey=survey, score="11", comment="", user=shop.owner)
    with pytest.raises(ValidationError) as not_owner:
        services.answer_nps(survey=survey, score=3, comment="", user=staff)
    response = services.answer_nps(
        survey=survey, score=4, comment=" Too hard to set up ", user=shop.owner
    )
    with pytest.raises(ValidationError) as twice:
        services.answer_nps(survey=survey, score=10, comment="", user=shop.owner)

    assert bad_score.value.message_dict == {"score": ["Choose a score from 0 to 10."]}
    assert not_owner.value.message_dict == {
        "survey": ["Only the shop's owner answers this survey."]
    }
    assert twice.value.message_dict == {"survey": ["This survey has been answered already."]}
    assert (response.score, response.comment) == (4, "Too hard to set up")
    assert NpsResponse.objects.count() == 1
    task = Task.objects.get()
    assert (task.title, task.assignee, task.source, task.source_key) == (
        "Call back a detractor (NPS 4)",
        csm,
        "nps",
        f"nps:{survey.pk}",
    )
    assert (task.message, task.params) == ("Call back a detractor (NPS %(score)s)", {"score": 4})


@pytest.mark.django_db
def test_a_promoter_or_passive_makes_no_task():
    shop = ShopFactory(slug="happy")
    for wave, score in ((0, 9), (1, 7)):
        survey = NpsSurvey.objects.create(merchant=shop.merchant, wave=wave)
        services.answer_nps(survey=survey, score=score, comment="", user=shop.owner)
    assert not Task.objects.exists()


def services_add_staff(merchant, user):
    from tenants.services import add_member

    add_member(merchant=merchant, user=user, role="manager")


@pytest.mark.django_db
def test_the_nps_report_groups_by_csm_tier_cohort_and_month():
    ana = make_csm("ana@platform.test")
    bo = make_csm("bo@platform.test")
    scores = {"a-one": [10, 9], "a-two": [6], "b-one": [8, 9]}
    for slug, answers in scores.items():
        merchant = ShopFactory(slug=slug).merchant
        Journey.objects.filter(merchant=merchant).update(
            csm=ana if slug.startswith("a") else bo, tier="A" if slug != "a-two" else "C"
        )
        owner = merchant.memberships.get().user
        for wave, score in enumerate(answers):
            survey = NpsSurvey.objects.create(merchant=merchant, wave=wave)
            services.answer_nps(survey=survey, score=score, comment="", user=owner)

    report = nps_report()

    assert report.overall == NpsFigure(5, 3, 1, 1)
    assert report.overall.score == Decimal("40.0")
    assert [(row.label, row.figure.score) for row in report.by_csm] == [
        ("ana@platform.test", Decimal("33.3")),
        ("bo@platform.test", Decimal("50.0")),
    ]
    assert [(row.label, row.figure.score) for row in report.by_tier] == [
        ("A", Decimal("75.0")),
        ("C", Decimal("-100.0")),
    ]
    assert len(report.by_cohort) == 1 and report.by_cohort[0].figure.respondents == 5
    assert len(report.by_month) == 1 and report.by_month[0].figure.score == Decimal("40.0")


# ---------------------------------------------------------------------------- tiers


def test_tier_windows_are_three_full_months_or_the_last_30_days_when_new():
    assert scoring.tier_window(date(2025, 1, 1), date(2026, 6, 15)) == (
        date(2026, 3, 1),
        date(2026, 6, 1),
    )
    # Signed up in mid-April: mid-April to June 1st (two months' average).
    assert scoring.tier_window(date(2026, 4, 16), date(2026, 6, 15)) == (
        date(2026, 4, 16),
        date(2026, 6, 1),
    )
    assert scoring.months_in(date(2026, 4, 16), date(2026, 6, 1)) == 2
    # Day 30 of a May 16 signup: no full month yet, the last 30 days.
    assert scoring.tier_window(date(2026, 5, 16), date(2026, 6, 15)) == (
        date(2026, 5, 16),
        date(2026, 6, 15),
    )


def test_a_tier_needs_both_its_gmv_bar_and_its_outlet_bar():
    bars = [
        scoring.Bar("SKA", Decimal("1000000"), 20),
        scoring.Bar("KA", Decimal("200000"), 5),
        scoring.Bar("A", Decimal("50000"), 2),
        scoring.Bar("B", Decimal("10000"), 1),
        scoring.Bar("C", Decimal("0"), 0),
    ]
    assert scoring.tier_for(Decimal("300000"), 5, bars) == "KA"
    assert scoring.tier_for(Decimal("300000"), 1, bars) == "B"
    assert scoring.tier_for(Decimal("9999.99"), 30, bars) == "C"
    assert scoring.tier_for(Decimal("1000000"), 20, bars) == "SKA"


def test_segments():
    assert scoring.segment_for(setup_done=False, trained=True, orders_30d=99) == "needs_training"
    assert scoring.segment_for(setup_done=True, trained=False, orders_30d=99) == "needs_training"
    assert scoring.segment_for(setup_done=True, trained=True, orders_30d=9) == "needs_operations"
    assert scoring.segment_for(setup_done=True, trained=True, orders_30d=10) == "active"


@pytest.mark.django_db
def test_tiers_come_from_ledger_gmv_and_outlets_and_monthly_runs_once(
    django_assert_max_num_queries,
):
    with time_machine.travel(datetime(2025, 12, 1, tzinfo=UTC), tick=False):
        big = ShopFactory(slug="big-shop").merchant
        small = ShopFactory(slug="small-shop").merchant
    # March to May 2026: 70,000 net a month for big (one refund), 1,000 for small.
    for month in (3, 4, 5):
        day = datetime(2026, month, 10, 4, tzinfo=UTC)
        record_event(
            merchant=big,
            event=OrderPaid(total=Decimal("71000"), channel="online"),
            idempotency_key=f"big:{month}",
            occurred_at=day,
            delta=StatsDelta(gmv=Decimal("71000"), orders=20),
        )
        record_event(
            merchant=small,
            event=OrderPaid(total=Decimal("1000"), channel="online"),
            idempotency_key=f"small:{month}",
            occurred_at=day,
            delta=StatsDelta(gmv=Decimal("1000"), orders=1),
        )
    record_event(
        merchant=big,
        event=OrderRefunded(order=1, amount=Decimal("3000"), paid_on=date(2026, 3, 10)),
        idempotency_key="big:refund",
        occurred_at=datetime(2026, 4, 11, tzinfo=UTC),
        delta=StatsDelta(refunds=Decimal("3000"), refund_count=1),
    )
    for count, when in ((1, 1), (3, 2)):
        record_event(
            merchant=big,
            event=OutletsChanged(active_store_outlets=count),
            idempotency_key=f"big:outlets:{count}",
            occurred_at=datetime(2026, 5, when, tzinfo=UTC),
        )
    # A sale outside the window (June) does not count.
    record_event(
        merchant=small,
        event=OrderPaid(total=Decimal("900000"), channel="online"),
        idempotency_key="small:june",
        occurred_at=datetime(2026, 6, 2, tzinfo=UTC),
        delta=StatsDelta(gmv=Decimal("900000"), orders=1),
    )

    with django_assert_max_num_queries(16):
        scoring.monthly_tiers(NOW)
    scoring.monthly_tiers(NOW + timedelta(days=3))

    assert sorted(
        TierAssignment.objects.values_list(
            "merchant__slug", "tier", "segment", "monthly_avg_gmv", "active_outlets", "reason"
        )
    ) == [
        ("big-shop", "A", "needs_training", Decimal("70000.00"), 3, "monthly"),
        ("small-shop", "C", "needs_training", Decimal("1000.00"), 0, "monthly"),
    ]
    assert Journey.objects.get(merchant=big).tier == "A"
    assert TimelineEntry.objects.filter(merchant=big, kind="tier").count() == 1

    # Admins raise A's bar: an on-demand recompute moves big to B and keeps the history.
    services.save_tier_thresholds(
        [
            services.ThresholdInput("SKA", "1000000", 20),
            services.ThresholdInput("KA", "200000", 5),
            services.ThresholdInput("A", "80000", 2),
            services.ThresholdInput("B", "10000", 1),
            services.ThresholdInput("C", "0", 0),
        ]
    )
    scoring.assign_tiers([big.pk], now=NOW + timedelta(days=4), reason="on_demand")
    assert list(TierAssignment.objects.filter(merchant=big).values_list("tier", "reason")) == [
        ("B", "on_demand"),
        ("A", "monthly"),
    ]


@pytest.mark.django_db
def test_thresholds_must_not_rise_from_c_to_ska_and_bad_values_name_their_field():
    with pytest.raises(ValidationError) as inverted:
        services.save_tier_thresholds(
            [
                services.ThresholdInput("SKA", "1000", 20),
                services.ThresholdInput("KA", "200000", 5),
                services.ThresholdInput("A", "50000", 2),
                services.ThresholdInput("B", "10000", 1),
                services.ThresholdInput("C", "0", 0),
            ]
        )
    with pytest.raises(ValidationError) as negative:
        services.save_tier_thresholds([services.ThresholdInput("B", "-1", 1)])

    assert inverted.value.message_dict == {
        "SKA_min_monthly_gmv": ["SKA cannot have a lower bar than KA."]
    }
    assert negative.value.message_dict == {"B_min_monthly_gmv": ["Enter an amount of 0 or more."]}
    assert not TierThreshold.objects.exists()


# ---------------------------------------------------------------------------- health


def test_health_weights_add_up_to_100_and_each_measure_is_bounded():
    best = HealthMeasures(
        net_gmv_30d=Decimal("12000"),
        net_gmv_prev_30d=Decimal("10000"),
        orders_30d=500,
        selling_days_30d=30,
        onboarding="done",
        nps_score=10,
        overdue_invoices=0,
    )
    worst = HealthMeasures(
        net_gmv_30d=Decimal("100"),
        net_gmv_prev_30d=Decimal("10000"),
        onboarding="stuck",
        nps_score=2,
        overdue_invoices=3,
    )
    assert sum(scoring.HEALTH_WEIGHTS.values()) == 100
    assert health_score(best) == (
        100,
        {
            "gmv_trend": 25,
            "orders": 20,
            "activity": 10,
            "onboarding": 20,
            "nps": 15,
            "invoices": 10,
        },
    )
    assert health_score(worst) == (
        0,
        {"gmv_trend": 0, "orders": 0, "activity": 0, "onboarding": 0, "nps": 0, "invoices": 0},
    )
    steady = HealthMeasures(
        net_gmv_30d=Decimal("10000"),
        net_gmv_prev_30d=Decimal("10500"),
        orders_30d=15,
        selling_days_30d=6,
        onboarding="behind",
        overdue_invoices=1,
    )
    assert health_score(steady) == (
        18 + 10 + 4 + 10 + 8 + 5,
        {"gmv_trend": 18, "orders": 10, "activity": 4, "onboarding": 10, "nps": 8, "invoices": 5},
    )


@pytest.mark.django_db
def test_turning_red_gives_the_csm_one_task_and_new_merchants_none():
    csm = make_csm("csm@platform.test")
    with time_machine.travel(NOW - timedelta(days=90), tick=False):
        veteran = ShopFactory(slug="veteran").merchant
    with time_machine.travel(NOW - timedelta(days=3), tick=False):
        newbie = ShopFactory(slug="newbie").merchant
    Journey.objects.filter(merchant=veteran).update(csm=csm, completed_at=NOW - timedelta(days=50))
    for day in range(35, 60):
        record_event(
            merchant=veteran,
            event=OrderPaid(total=Decimal("500"), channel="online"),
            idempotency_key=f"veteran:{day}",
            occurred_at=NOW - timedelta(days=day),
            delta=StatsDelta(gmv=Decimal("500"), orders=2),
        )

    scoring.compute_health(NOW - timedelta(days=30))
    scoring.compute_health(NOW)
    scoring.compute_health(NOW)  # again the same day: no second task

    history = list(HealthScore.objects.filter(merchant=veteran).values_list("computed_on", "score"))
    assert history[0][0] == NOW.date() and history[0][1] < 40 <= history[1][1]
    task = Task.objects.get()
    assert (task.merchant, task.assignee, task.source, task.title) == (
        veteran,
        csm,
        "health",
        "Health turned red: find out why",
    )
    # Stored as a message: each CSM reads it in their own language.
    assert (task.message, task.params) == ("Health turned red: find out why", {})
    with translation.override("zh-hans"):
        assert task.shown_title == "健康度变红：请查明原因"
    assert HealthScore.objects.get(merchant=newbie, computed_on=NOW.date()).score < 40
    assert not Task.objects.filter(merchant=newbie).exists()
    assert TimelineEntry.objects.filter(merchant=veteran, kind="health").count() == 1
