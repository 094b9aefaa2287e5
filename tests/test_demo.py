import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from analytics.models import DailyMerchantStats, MerchantEvent
from commerce.orders.models import Order
from tenants.models import Merchant

pytestmark = pytest.mark.django_db


def test_the_demo_data_is_a_working_set_of_shops_and_seeding_twice_adds_nothing():
    call_command("seed_demo")
    call_command("seed_demo")

    assert sorted(Merchant.objects.values_list("slug", flat=True)) == [
        "flower-lab",
        "noodle-bar",
        "tea-house",
    ]
    staff = User.objects.exclude(platform_roles=[]).order_by("email")
    assert [(user.email, user.platform_roles) for user in staff] == [
        ("admin@demo.test", ["platform_admin"]),
        ("csm@demo.test", ["csm"]),
        ("finance@demo.test", ["finance"]),
    ]
    tea_house = Merchant.objects.get(slug="tea-house")
    with tea_house:
        from commerce.groupbuy.models import Team

        assert Order.objects.count() == 5  # three online, one at the till, one group-buy seat
        assert Order.objects.filter(channel="in_store").count() == 1
        (team,) = Team.objects.all()
        assert (team.status, team.seats_taken, team.seats_paid, team.size) == ("open", 1, 1, 3)
    day = DailyMerchantStats.objects.get(merchant=tea_house)
    assert (day.orders, day.in_store_orders, day.groupbuy_orders) == (4, 1, 1)
    assert MerchantEvent.objects.filter(kind="store_setup_completed").count() == 3
    assert MerchantEvent.objects.filter(kind="plugin_enabled", merchant=tea_house).count() == 1


def test_the_billing_demo_leaves_paid_history_and_drafts_for_finance_once():
    from billing.models import Invoice

    call_command("seed_demo")
    call_command("seed_billing_demo")
    call_command("seed_billing_demo")

    invoices = Invoice.objects.order_by("period_start", "merchant__slug")
    assert [invoice.status for invoice in invoices] == ["paid"] * 3 + ["draft"] * 3
    assert all(invoice.total > 0 for invoice in invoices)
    assert [invoice.plan.code for invoice in invoices[3:]] == ["premium", "basic", "advanced"]


def test_the_demo_opens_with_platform_metrics_already_rolled_up(capsys):
    from reports.figures import last_full_month
    from reports.models import MonthlyMerchantStats

    call_command("seed_demo")
    call_command("seed_billing_demo")
    call_command("refresh_reports")

    last_month = MonthlyMerchantStats.objects.filter(month=last_full_month())
    assert last_month.count() == 3
    assert all(row.gmv > 0 for row in last_month)
    assert "merchant-months rolled up from" in capsys.readouterr().out
    with pytest.raises(CommandError, match="--since: use YYYY-MM"):
        call_command("refresh_reports", since="March")
