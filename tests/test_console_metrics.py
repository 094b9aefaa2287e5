"""/console/metrics/: the platform's figures on a known history."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import PlatformRole
from billing.models import Plan, Subscription, SubscriptionEventKind, SubscriptionStatus
from billing.run import run_billing
from billing.subscriptions import change_plan, record_subscription_event
from onboarding.models import NpsResponse, NpsSurvey
from reports.models import MarketingSpend
from reports.rollups import refresh_monthly_stats
from reports.tasks import refresh_monthly_stats_task
from tests.conftest import on_host
from tests.factories_billing import MerchantRowFactory, sale, subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(db):
    """A: Basic since 2025-06, upgraded to Advanced on 2026-03-01. B: Basic since 2025-06,
    expired mid-October 2026. C: signed up in September 2026, trial to 14 Sept."""
    basic, advanced = Plan.objects.get(code="basic"), Plan.objects.get(code="advanced")
    a, b, c = (MerchantRowFactory(name=name) for name in ("Alpha", "Bravo", "Charlie"))
    subscribe(a, basic, start=date(2025, 6, 1))
    change_plan(Subscription.objects.get(merchant=a), to_plan=advanced, on=date(2026, 3, 1))
    bravo = subscribe(b, basic, start=date(2025, 6, 1))
    Subscription.objects.filter(pk=bravo.pk).update(
        status=SubscriptionStatus.EXPIRED, ended_on=date(2026, 10, 15), auto_renew=False
    )
    record_subscription_event(
        bravo,
        SubscriptionEventKind.EXPIRED,
        on=date(2026, 10, 16),
        before=Decimal("299"),
        after=Decimal("0"),
        unique_key="expired:bravo",
    )
    subscribe(c, basic, start=date(2026, 9, 1), trial_days=14)
    type(c).objects.filter(pk=c.pk).update(created_at=datetime(2026, 10, 5, tzinfo=UTC))
    sale(a, date(2026, 10, 8), "1000.00", "oct")
    sale(a, date(2026, 9, 8), "400.00", "sep")
    refresh_monthly_stats(date(2025, 11, 1))
    run_billing(2026, 10)
    MarketingSpend.objects.create(month=date(2026, 10, 1), currency="CNY", amount=Decimal("3000"))
    for score in (10, 9, 3):
        survey = NpsSurvey.objects.create(merchant=a, wave=score)
        NpsResponse.objects.create(
            survey=survey, score=score, answered_at=datetime(2026, 10, 20, tzinfo=UTC)
        )
    return a, b, c


@pytest.fixture
def staff_client(client, make_staff):
    def login(*roles):
        client.force_login(make_staff(*roles))
        return on_host(client, "localhost")

    return login


def headline(response) -> dict:
    return {figure.key: figure.value for figure in response.context["page"].headline}


def test_the_metrics_of_a_known_history(history, staff_client):
    response = staff_client(PlatformRole.FINANCE).get("/console/metrics/", {"month": "2026-10"})
    assert response.status_code == 200
    figures = headline(response)
    assert figures["gmv"] == Decimal("1000")
    assert figures["commission"] == Decimal("500.00")  # Advanced's minimum commitment
    assert figures["mrr"] == Decimal("1298.00")  # A on Advanced 999 + C on Basic 299
    assert figures["arr"] == Decimal("15576.00")
    assert figures["arpa"] == Decimal("649.00")
    assert figures["logo_churn"] == Decimal("33.3")  # B of A, B, C paying on 30 Sept
    assert figures["grr"] == Decimal("50.0")  # (598 - 299) / 598
    assert figures["nrr"] == Decimal("167.1")  # (598 + 700 - 299) / 598
    assert figures["renewal_rate"] == Decimal("0.0")
    assert figures["cac"] == Decimal("3000.00")  # one signup in October
    assert figures["ltv"] == Decimal("11357.50")  # 649 x 0.70 / (1 churned / 25 account-months)
    assert figures["ltv_cac"] == Decimal("3.8")
    assert figures["nps"] == Decimal("33.3")
    months = {row.month: row for row in response.context["page"].months}
    assert months[date(2026, 9, 1)].gmv == Decimal("400")
    assert months[date(2026, 9, 1)].mrr == Decimal("1597.00")  # A 999, B 299, C 299
    body = response.content.decode()
    assert 'data-metric="nrr"' in body and "Net revenue retention" in body
    assert body.count('class="bar"') == 12


def test_csm_and_finance_see_the_page_and_merchant_users_do_not(history, staff_client, client):
    assert staff_client(PlatformRole.CSM).get("/console/metrics/").status_code == 200
    assert staff_client(PlatformRole.FINANCE).get("/console/metrics/").status_code == 200
    client.logout()
    assert client.get("/console/metrics/").status_code == 302


def test_only_admins_enter_spend_and_bad_input_names_the_field(history, staff_client):
    csm = staff_client(PlatformRole.CSM)
    assert (
        csm.post(
            "/console/metrics/spend/", {"month": "2026-09", "currency": "CNY", "amount": "5"}
        ).status_code
        == 403
    )
    admin = staff_client(PlatformRole.PLATFORM_ADMIN)
    bad = admin.post(
        "/console/metrics/spend/", {"month": "2026-09", "currency": "CNY", "amount": "-5"}
    )
    assert bad.status_code == 400 and "amount" in bad.context["spend_form"].errors
    assert not MarketingSpend.objects.filter(month=date(2026, 9, 1)).exists()
    admin.post("/console/metrics/spend/", {"month": "2026-09", "currency": "CNY", "amount": "1200"})
    assert MarketingSpend.objects.get(month=date(2026, 9, 1)).amount == Decimal("1200")
    margin = admin.post("/console/metrics/margin/", {"gross_margin_percent": "140"})
    assert (
        margin.status_code == 400 and "gross_margin_percent" in margin.context["margin_form"].errors
    )


def test_the_query_count_does_not_grow_with_merchants(history, staff_client, settings):
    settings.REPORTS_METRICS_CACHE_SECONDS = 0  # count the queries of a build, every time
    finance = staff_client(PlatformRole.FINANCE)
    finance.get("/console/metrics/")
    with CaptureQueriesContext(connection) as few:
        finance.get("/console/metrics/", {"month": "2026-10"})
    for index in range(30):
        merchant = MerchantRowFactory()
        subscribe(merchant, Plan.objects.get(code="basic"), start=date(2026, 1, 1))
        sale(merchant, date(2026, 10, 3), f"{index + 1}.00", "s")
    refresh_monthly_stats(date(2025, 11, 1))
    with CaptureQueriesContext(connection) as many:
        response = finance.get("/console/metrics/", {"month": "2026-10"})
    assert len(many) == len(few)
    assert headline(response)["mrr"] == Decimal("1298.00") + 30 * Decimal("299")


def test_a_computed_page_is_reused_until_spend_is_corrected_or_the_roll_up_refreshes(
    history, staff_client
):
    admin = staff_client(PlatformRole.PLATFORM_ADMIN)
    admin.get("/console/metrics/", {"month": "2026-10"})
    with CaptureQueriesContext(connection) as cached:
        first = admin.get("/console/metrics/", {"month": "2026-10"})
    saved = admin.post(
        "/console/metrics/spend/", {"month": "2026-10", "currency": "CNY", "amount": "900"}
    )
    assert saved.status_code == 302, saved.context["spend_form"].errors
    with CaptureQueriesContext(connection) as rebuilt:
        second = admin.get("/console/metrics/", {"month": "2026-10"})

    assert len(rebuilt) > len(cached) + 10
    assert [row.spend for row in first.context["page"].months][-1] == Decimal("3000.00")
    assert [row.spend for row in second.context["page"].months][-1] == Decimal("900")
    computed_at = second.context["page"].computed_at
    refresh_monthly_stats(date(2026, 10, 1))
    third = admin.get("/console/metrics/", {"month": "2026-10"})
    assert third.context["page"].computed_at > computed_at


def test_the_roll_up_task_computes_the_default_page_ahead_of_the_first_visitor(
    history, staff_client
):
    finance = staff_client(PlatformRole.FINANCE)
    refresh_monthly_stats_task()

    with CaptureQueriesContext(connection) as first_visit:
        first = finance.get("/console/metrics/")
    with CaptureQueriesContext(connection) as second_visit:
        finance.get("/console/metrics/")

    assert first.status_code == 200
    assert len(first_visit) == len(second_visit)
    assert first.context["page"].computed_at is not None


@pytest.fixture
def young_platform(db):
    """A platform five months old: D on Basic from 2026-06-01 (upgraded to Advanced on
    2026-08-01), E on Basic from 2026-06-15, lapsed on 2026-09-14."""
    basic, advanced = Plan.objects.get(code="basic"), Plan.objects.get(code="advanced")
    delta, echo = MerchantRowFactory(name="Delta"), MerchantRowFactory(name="Echo")
    type(delta).objects.filter(pk=delta.pk).update(created_at=datetime(2026, 6, 1, tzinfo=UTC))
    type(echo).objects.filter(pk=echo.pk).update(created_at=datetime(2026, 6, 15, tzinfo=UTC))
    subscribe(delta, basic, start=date(2026, 6, 1))
    change_plan(Subscription.objects.get(merchant=delta), to_plan=advanced, on=date(2026, 8, 1))
    lapsed = subscribe(echo, basic, start=date(2026, 6, 15))
    Subscription.objects.filter(pk=lapsed.pk).update(
        status=SubscriptionStatus.EXPIRED, ended_on=date(2026, 9, 14), auto_renew=False
    )
    record_subscription_event(
        lapsed,
        SubscriptionEventKind.EXPIRED,
        on=date(2026, 9, 15),
        before=Decimal("299"),
        after=Decimal("0"),
        unique_key="expired:echo",
    )
    return delta, echo


def test_a_young_platform_measures_retention_from_its_first_paying_month(
    young_platform, staff_client
):
    finance = staff_client(PlatformRole.FINANCE)
    response = finance.get("/console/metrics/", {"month": "2026-10"})
    figures = headline(response)
    page = response.context["page"]

    # Nobody paid 12 months ago: the window starts at the first month end with payers.
    assert page.retention_since == date(2026, 7, 1)  # D and E paying on 30 June
    assert figures["grr"] == Decimal("50.0")  # (598 - 299 churned) / 598
    assert figures["nrr"] == Decimal("167.1")  # (598 + 700 expansion - 299) / 598
    # E lapsed once over the window's month ends (Jul-Oct: 2, 2, 1, 1 paying): 1 / 1.5 / 4
    assert figures["ltv"] == Decimal("4195.80")  # 999 x 0.70 / (1 / 1.5 / 4)
    months = {row.month: row.mrr for row in page.months}
    assert months[date(2026, 5, 1)] == months[date(2025, 11, 1)] == Decimal("0.00")
    assert "Retention measured from 2026-07-01" in response.content.decode()


def test_retention_is_absent_only_when_nobody_paid_before_the_month(young_platform, staff_client):
    finance = staff_client(PlatformRole.FINANCE)
    figures = headline(finance.get("/console/metrics/", {"month": "2026-06"}))

    assert figures["mrr"] == Decimal("598.00")
    assert figures["grr"] is None and figures["nrr"] is None and figures["ltv"] is None
