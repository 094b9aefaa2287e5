"""Group-buy in a real browser. Stripe.js cannot load here (no network): after the card
page, the test pays the PaymentIntent on the fake Stripe and follows Stripe's redirect back,
as the shopper's browser would."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from commerce.catalog.models import Product, Stock, Variant
from commerce.groupbuy.models import GroupBuyNotice, Team, TeamMember, TeamStatus
from commerce.groupbuy.teams import expire_due_teams
from commerce.orders.models import Order
from commerce.store.selectors import online_outlet, store_settings
from tenants.models import Merchant
from tests.factories import TEST_PASSWORD, ShopFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def pay_seat(page, fake_stripe, shop: str) -> None:
    """On the card page: the shopper pays; Stripe sends them back to the return URL."""
    expect(page).to_have_url(re.compile(r"/groupbuy/seats/[A-Za-z0-9_-]{32}/pay/$"))
    # The return URL the card form hands Stripe: the seat's secret token, never its id.
    return_url = page.locator("#payment-form").get_attribute("data-return-url")
    assert return_url == page.url.replace("/pay/", "/return/")
    client_secret = page.locator("#payment-form").get_attribute("data-client-secret")
    intent_id = client_secret.split("_secret")[0]
    fake_stripe.pay(intent_id)
    page.goto(f"{return_url}?payment_intent={intent_id}")


def test_a_campaign_two_shoppers_a_full_team_and_an_expired_one(
    live_server, browser, page, fake_stripe
):
    opened = ShopFactory(slug="lychee", shop_name="Lychee Farm")
    account = fake_stripe.create_account({"type": "express"}, {})[1]
    Merchant.objects.filter(pk=opened.merchant.pk).update(
        stripe_account_id=account["id"], stripe_charges_enabled=True
    )
    with opened.merchant:
        settings = store_settings()
        settings.local_pickup = True  # seats are collected: the seat form needs pickup on
        settings.save(update_fields=["local_pickup"])
        product = Product.objects.create(title="Lychee box", slug="lychee-box", is_published=True)
        variant = Variant.objects.create(product=product, sku="LY-1", price=50)
        Stock.objects.create(variant=variant, outlet=online_outlet(), quantity=20)
    shop = f"http://lychee.localhost:{live_server.url.rsplit(':', 1)[1]}"

    # The merchant switches group-buy on and launches a campaign.
    page.goto(f"{shop}/accounts/login/")
    page.fill("input[name=username]", opened.owner.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]:has-text('Log in')")
    page.goto(f"{shop}/manage/marketing/")
    page.click("#plugin-groupbuy button[type=submit]")
    page.click("#plugin-groupbuy a:has-text('Campaigns')")
    now = timezone.localtime()
    page.fill("input[name=name]", "Lychee duo")
    page.select_option("select[name=variant]", str(variant.pk))
    page.fill("input[name=group_price]", "35.00")
    page.fill("input[name=team_size]", "2")
    page.fill("input[name=team_window_hours]", "12")
    page.fill("input[name=starts_at]", (now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=ends_at]", (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    page.click("button[type=submit]:has-text('Launch')")
    expect(page.locator("table")).to_contain_text("Lychee duo")

    # Shopper A starts a team from the product page and pays.
    shopper_a = browser.new_context(locale="en-US").new_page()
    shopper_a.goto(f"{shop}/p/lychee-box/")
    expect(shopper_a.locator("#groupbuy-offer")).to_contain_text("35.00")
    shopper_a.fill("#groupbuy-offer input[name=email]", "a@example.test")
    shopper_a.click("#start-team")
    pay_seat(shopper_a, fake_stripe, shop)
    expect(shopper_a.locator("#team-status")).to_contain_text("1 of 2 paid")
    # static/js/countdown.js replaces the server's "11 h 59 min left" with seconds, ticking.
    expect(shopper_a.locator("#team-time-left time")).to_have_text(
        re.compile(r"^11 h \d\d min \d\d s left$")
    )
    share_link = shopper_a.locator("#share-link").inner_text()
    qr = shopper_a.locator("#share-qr")
    expect(qr).to_be_visible()
    assert qr.evaluate("image => image.complete && image.naturalWidth > 0")  # CSP lets it load

    # Shopper B opens the share link in another browser and joins; the team succeeds.
    shopper_b = browser.new_context(locale="en-US").new_page()
    shopper_b.goto(share_link)
    expect(shopper_b.locator("#team-time-left time[data-countdown]")).to_have_count(1)
    shopper_b.fill("input[name=email]", "b@example.test")
    shopper_b.click("#take-seat")
    pay_seat(shopper_b, fake_stripe, shop)
    expect(shopper_b.locator("#team-status")).to_contain_text("Succeeded")
    shopper_a.reload()
    expect(shopper_a.locator("#team-status")).to_contain_text("2 of 2 paid")

    # A second team never fills: at expiry it fails and the payment goes back.
    shopper_a.goto(f"{shop}/p/lychee-box/")
    shopper_a.fill("#groupbuy-offer input[name=email]", "c@example.test")
    shopper_a.click("#start-team")
    pay_seat(shopper_a, fake_stripe, shop)
    with opened.merchant:
        Team.objects.filter(status=TeamStatus.OPEN).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        assert expire_due_teams() == {"failed": 1}
        assert TeamMember.objects.get(email="c@example.test").status == "refunded"
    assert len(fake_stripe.calls("POST", "/v1/refunds")) == 1
    shopper_a.reload()
    expect(shopper_a.locator("#team-status")).to_contain_text("Failed")

    # The merchant follows the full team from the campaign to its members and timeline.
    page.goto(f"{shop}/manage/marketing/groupbuy/")
    page.click("a:has-text('Lychee duo')")
    page.locator("tbody tr", has_text="Succeeded").locator("a").click()
    expect(page.locator("#team-status")).to_have_text("Succeeded")
    expect(page.locator("#team-members tbody tr")).to_have_count(2)
    timeline = page.locator("#team-timeline tr")
    expect(timeline.first).to_contain_text("Team opened")
    expect(timeline.last).to_contain_text("Team succeeded: its orders ship")
    shopper_a.context.close()
    shopper_b.context.close()


def test_a_team_formed_and_a_team_failed_on_cash_on_delivery_without_stripe(
    live_server, browser, page
):
    """A shop still without Stripe sells group-buy seats on cash on delivery and pay in
    store: one team fills on its members' word and ships, one fails at its expiry and one
    when the campaign is ended (after the merchant confirms): their orders are cancelled,
    the stock comes back, nothing to refund. It starts with neither pickup nor delivery:
    the console warns that no seat can be taken until the merchant turns pickup on."""
    opened = ShopFactory(slug="cashfarm", shop_name="Cash Farm")
    with opened.merchant:
        settings = store_settings()
        settings.accepts_cash_on_delivery = settings.accepts_pay_in_store = True
        settings.local_pickup = False
        settings.shipping_flat_rate = None
        settings.save()
        product = Product.objects.create(title="Lychee box", slug="lychee-box", is_published=True)
        variant = Variant.objects.create(product=product, sku="LY-2", name="2 kg", price=50)
        Stock.objects.create(variant=variant, outlet=online_outlet(), quantity=20)
    shop = f"http://cashfarm.localhost:{live_server.url.rsplit(':', 1)[1]}"

    # Before switching group-buy on, the merchant reads how seats will be paid.
    page.goto(f"{shop}/accounts/login/")
    page.fill("input[name=username]", opened.owner.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]:has-text('Log in')")
    page.goto(f"{shop}/manage/marketing/")
    notice = page.locator("#plugin-groupbuy-notice")
    expect(notice).to_contain_text("Seats are held without card payment")
    expect(notice).to_contain_text(
        "Seats cannot be taken: this shop offers neither delivery nor pickup"
    )
    page.click("#plugin-groupbuy button[type=submit]")
    page.click("#plugin-groupbuy a:has-text('Campaigns')")
    expect(page.locator("#seat-payments")).to_contain_text("Cash on delivery, Pay in store")
    # No seat can be taken yet: the warning leads to the shipping settings, pickup goes on.
    warning = page.locator("#seat-delivery")
    expect(warning).to_have_text(
        "Seats cannot be taken: this shop offers neither delivery nor pickup — turn one on "
        "in Store › Shipping. Shipping settings"
    )
    warning.locator("a:has-text('Shipping settings')").click()
    expect(page).to_have_url(f"{shop}/manage/store/shipping/")
    page.check("input[name=local_pickup]")
    page.click("#save-shipping")
    page.goto(f"{shop}/manage/marketing/groupbuy/")
    expect(page.locator("#seat-delivery")).to_have_count(0)
    now = timezone.localtime()
    page.fill("input[name=name]", "Lychee pair")
    page.select_option("select[name=variant]", str(variant.pk))
    page.fill("input[name=group_price]", "35.00")
    page.fill("input[name=leader_price]", "30.00")
    page.fill("input[name=team_size]", "2")
    page.fill("input[name=team_window_hours]", "12")
    page.fill("input[name=starts_at]", (now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=ends_at]", (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    page.click("button[type=submit]:has-text('Launch')")
    expect(page.locator("table")).to_contain_text("Lychee pair")

    # Shopper A starts a team paying cash on delivery: no card page, the seat is held.
    shopper_a = browser.new_context(locale="en-US").new_page()
    shopper_a.goto(f"{shop}/p/lychee-box/")
    offer = shopper_a.locator("#groupbuy-offer")
    expect(offer.locator("#groupbuy-variant")).to_have_text("For: Lychee box 2 kg")
    expect(offer.locator("#groupbuy-leader-price")).to_contain_text("30.00 CNY")
    offer.locator("input[name=email]").fill("a@example.test")
    offer.locator("input[name=payment_method][value=cash_on_delivery]").check()
    shopper_a.click("#start-team")
    expect(shopper_a).to_have_url(re.compile(r"/groupbuy/t/[A-Za-z0-9_-]+/$"))
    expect(shopper_a.locator("#seat-held")).to_contain_text("you pay 30.00 CNY (Cash on delivery)")
    expect(shopper_a.locator("#team-status")).to_contain_text("1 of 2 seats filled")
    share_link = shopper_a.locator("#share-link").inner_text()

    # The merchant cannot ship the held order before the team is full.
    with opened.merchant:
        order_a = Order.objects.get(email="a@example.test")
    page.goto(f"{shop}/manage/orders/{order_a.pk}/")
    expect(page.locator("#held-for-team")).to_be_visible()
    expect(page.locator("#fulfil")).to_have_count(0)

    # Shopper B joins from the share link paying in store: the team is complete.
    shopper_b = browser.new_context(locale="en-US").new_page()
    shopper_b.goto(share_link)
    shopper_b.fill("input[name=email]", "b@example.test")
    shopper_b.check("input[name=payment_method][value=pay_in_store]")
    shopper_b.click("#take-seat")
    expect(shopper_b.locator("#team-status")).to_contain_text("Succeeded")
    page.reload()
    expect(page.locator("#fulfil")).to_be_visible()

    # A second team never fills: at its expiry its order is cancelled, nothing refunded.
    shopper_a.goto(f"{shop}/p/lychee-box/")
    shopper_a.fill("#groupbuy-offer input[name=email]", "c@example.test")
    shopper_a.click("#start-team")
    expect(shopper_a.locator("#team-status")).to_contain_text("1 of 2 seats filled")
    with opened.merchant:
        assert Stock.objects.get().quantity == 17
        Team.objects.filter(status=TeamStatus.OPEN).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        assert expire_due_teams() == {"failed": 1}
        assert Order.objects.get(email="c@example.test").status == "cancelled"
        assert Stock.objects.get().quantity == 18
    shopper_a.reload()
    expect(shopper_a.locator("#team-status")).to_contain_text("Failed")

    # A third team is open when the merchant ends the campaign, after saying yes.
    shopper_a.goto(f"{shop}/p/lychee-box/")
    shopper_a.fill("#groupbuy-offer input[name=email]", "d@example.test")
    shopper_a.click("#start-team")
    page.goto(f"{shop}/manage/marketing/groupbuy/")
    page.click("a:has-text('Lychee pair')")
    expect(page.locator("#campaign-leader-price")).to_have_text("leader price 30.00 CNY")
    page.click("#end-campaign")
    expect(page.locator("#end-cancelled")).to_have_text(
        "1 order to pay on delivery or in store is cancelled (nothing to refund)"
    )
    expect(page.locator("#end-refunded")).to_have_text("0 paid members are refunded")
    page.click("#confirm-end")
    expect(page.locator("main")).to_contain_text(
        "Open teams failed: 1. Paid members refunded: 0. Orders to pay on delivery or in "
        "store cancelled: 1."
    )
    expect(page.locator("#end-campaign")).to_have_count(0)
    with opened.merchant:
        assert Stock.objects.get().quantity == 18  # the two seats of the full team
        assert sorted(Order.objects.values_list("email", "status", "payment_status")) == [
            ("a@example.test", "unfulfilled", "pending"),
            ("b@example.test", "unfulfilled", "pending"),
            ("c@example.test", "cancelled", "voided"),
            ("d@example.test", "cancelled", "voided"),
        ]
        notices = sorted(GroupBuyNotice.objects.values_list("member__email", "kind"))
        assert notices == [
            ("a@example.test", "seat_held"),
            ("a@example.test", "team_succeeded"),
            ("b@example.test", "team_succeeded"),
            ("c@example.test", "seat_cancelled"),
            ("c@example.test", "seat_held"),
            ("d@example.test", "seat_cancelled"),
            ("d@example.test", "seat_held"),
        ]
        assert not TeamMember.objects.filter(status="refunded").exists()
    shopper_a.context.close()
    shopper_b.context.close()
