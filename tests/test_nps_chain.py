"""The NPS chain on /console/metrics/nps/, on known inputs: promoters renew at 90 %,
detractors at 40 %, NPS 30, referral share and CAC by channel."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import PlatformRole
from billing.models import Invoice, Subscription, SubscriptionEvent
from onboarding.models import NpsResponse, NpsSurvey, SignupSource, SurveyKind
from reports.models import ChannelSpend
from reports.nps_chain import build_chain
from tenants.models import Merchant
from tests.conftest import on_host
from tests.factories_billing import MerchantRowFactory, subscribe

pytestmark = pytest.mark.django_db

NOVEMBER = date(2026, 11, 1)


def merchant_with_answer(score: int, *, answered: datetime, renewals: int, churns: int):
    merchant = MerchantRowFactory()
    subscription = subscribe(merchant, start=date(2026, 1, 1))
    survey = NpsSurvey.objects.create(merchant=merchant, kind=SurveyKind.WAVE, wave=0)
    NpsResponse.objects.create(survey=survey, score=score, answered_at=answered)
    for index in range(renewals + churns):
        SubscriptionEvent.objects.create(
            subscription=subscription,
            merchant=merchant,
            kind="renewed" if index < renewals else "cancelled",
            occurred_on=date(2026, 10, 1),
            mrr_before=0,
            mrr_after=0,
            unique_key=f"test:{merchant.pk}:{index}",
        )
    return merchant


def test_promoters_renew_at_90_and_detractors_at_40_percent_and_nps_is_30():
    answered = datetime(2026, 9, 15, tzinfo=UTC)
    promoters = [
        merchant_with_answer(10, answered=answered, renewals=2 if i < 4 else 1, churns=0)
        for i in range(5)
    ]
    # 9 renewals of promoters so far; one promoter churned once: 9 of 10.
    SubscriptionEvent.objects.create(
        subscription=Subscription.objects.get(merchant=promoters[4]),
        merchant=promoters[4],
        kind="expired",
        occurred_on=date(2026, 10, 2),
        mrr_before=0,
        mrr_after=0,
        unique_key="test:promoter:churn",
    )
    for _ in range(3):
        merchant_with_answer(8, answered=answered, renewals=1, churns=0)
    merchant_with_answer(3, answered=answered, renewals=2, churns=1)
    merchant_with_answer(5, answered=answered, renewals=0, churns=2)
    # A renewal decided (2026-10-01) before the merchant's first answer counts under none.
    merchant_with_answer(9, answered=datetime(2026, 10, 20, tzinfo=UTC), renewals=1, churns=0)
    Invoice.objects.create(
        merchant=promoters[0],
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
        currency="CNY",
        status="paid",
        total=Decimal("600.00"),
    )
    Invoice.objects.create(
        merchant=promoters[0],
        period_start=date(2026, 9, 1),
        period_end=date(2026, 9, 30),
        currency="CNY",
        status="void",
        total=Decimal("9999.00"),
    )

    chain = build_chain(last_month=NOVEMBER, currency="CNY")

    money = {row.category: row for row in chain.money}
    assert (money["promoter"].renewed, money["promoter"].decisions) == (9, 10)
    assert money["promoter"].renewal_rate == Decimal("90.0")
    assert (money["detractor"].renewed, money["detractor"].decisions) == (2, 5)
    assert money["detractor"].renewal_rate == Decimal("40.0")
    assert money["passive"].renewal_rate == Decimal("100.0")
    # 600 invoiced (the voided invoice left out) over six promoters (the late one included).
    assert money["promoter"].merchants == 6
    assert money["promoter"].revenue_12m == Decimal("100.00")
    # 6 promoters, 3 passives, 2 detractors: (6 - 2) / 11 = 36.36 -> 36.4 (one place, half up).
    assert chain.overall.score == Decimal("36.4")


def test_referral_share_by_month_and_cac_by_channel():
    nov = datetime(2026, 11, 10, tzinfo=UTC)
    for index, channel in enumerate(["referral", "referral", "search", "event"]):
        merchant = MerchantRowFactory()
        Merchant.objects.filter(pk=merchant.pk).update(created_at=nov)
        SignupSource.objects.create(merchant=merchant, channel=channel)
        if index == 0:
            survey = NpsSurvey.objects.create(merchant=merchant, kind=SurveyKind.WAVE, wave=0)
            NpsResponse.objects.create(survey=survey, score=10, answered_at=nov)
    # Signed up before the question existed.
    Merchant.objects.filter(pk=MerchantRowFactory().pk).update(created_at=nov)
    ChannelSpend.objects.create(
        month=NOVEMBER, channel="search", currency="CNY", amount=Decimal("900")
    )
    ChannelSpend.objects.create(
        month=NOVEMBER, channel="referral", currency="CNY", amount=Decimal("100")
    )

    chain = build_chain(last_month=NOVEMBER, currency="CNY")

    november = chain.months[-1]
    assert (november.month, november.new_merchants, november.referrals) == (NOVEMBER, 5, 2)
    assert november.referral_share == Decimal("40.0")
    assert november.nps.score == Decimal("100.0")
    rows = {row.channel: row for row in chain.channels}
    assert (rows["referral"].new_merchants, rows["referral"].cac) == (2, Decimal("50.00"))
    assert (rows["search"].new_merchants, rows["search"].cac) == (1, Decimal("900.00"))
    assert (rows["event"].new_merchants, rows["event"].cac) == (1, None)
    assert rows[""].new_merchants == 1
    assert rows["search"].share == Decimal("20.0")


def test_the_chain_reads_the_survey_answers_once():
    answered = datetime(2026, 9, 15, tzinfo=UTC)
    merchant_with_answer(10, answered=answered, renewals=1, churns=0)
    merchant_with_answer(3, answered=answered, renewals=0, churns=1)
    # An answer before the window: history for the categories, not in the window's NPS.
    merchant_with_answer(9, answered=datetime(2025, 6, 1, tzinfo=UTC), renewals=1, churns=0)

    with CaptureQueriesContext(connection) as queries:
        chain = build_chain(last_month=NOVEMBER, currency="CNY")

    reads = [q["sql"] for q in queries if 'FROM "onboarding_npsresponse"' in q["sql"]]
    assert len(reads) == 1
    # Answers, new merchants, signup sources, subscription events, currencies, invoices,
    # channel spend: one each (the answers were read twice before: eight).
    assert len(queries) == 7
    assert chain.overall.respondents == 2
    money = {row.category: row for row in chain.money}
    assert (money["promoter"].merchants, money["promoter"].renewed) == (2, 2)
    assert (money["detractor"].decisions, money["detractor"].renewed) == (1, 0)


def test_the_page_renders_for_a_csm_and_only_admins_record_channel_spend(
    make_staff, django_assert_num_queries
):
    csm = on_host(Client(), "localhost")
    csm.force_login(make_staff(PlatformRole.CSM))
    admin = on_host(Client(), "localhost")
    admin.force_login(make_staff(PlatformRole.PLATFORM_ADMIN))
    for _ in range(5):
        merchant_with_answer(9, answered=datetime(2026, 11, 2, tzinfo=UTC), renewals=1, churns=0)

    # Three for the request itself (session, user, the page), then the chain's seven; the
    # limit was "at most 25" while the answers were read twice.
    with django_assert_num_queries(10):
        page = csm.get("/console/metrics/nps/", {"month": "2026-11", "currency": "CNY"})
    refused = csm.post(
        "/console/metrics/nps/spend/",
        {"month": "2026-11", "channel": "search", "currency": "CNY", "amount": "10"},
    )
    negative = admin.post(
        "/console/metrics/nps/spend/",
        {"month": "2026-11", "channel": "search", "currency": "CNY", "amount": "-1"},
    )
    saved = admin.post(
        "/console/metrics/nps/spend/",
        {"month": "2026-11", "channel": "search", "currency": "cny", "amount": "10"},
    )
    corrected = admin.post(
        "/console/metrics/nps/spend/",
        {"month": "2026-11", "channel": "search", "currency": "CNY", "amount": "12"},
    )

    assert page.status_code == 200
    assert 'data-category="promoter"' in page.content.decode()
    assert refused.status_code == 403
    assert negative.status_code == 400
    assert 'data-field="amount"' in negative.content.decode()
    assert (saved.status_code, corrected.status_code) == (302, 302)
    assert list(ChannelSpend.objects.values_list("channel", "currency", "amount")) == [
        ("search", "CNY", Decimal("12.00"))
    ]
