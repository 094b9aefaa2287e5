"""The shopper hears from the shop: one email per step of their order, exactly once, in the
shop's language, branded with its name and logo, through the outbox."""

import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import set_urlconf

from commerce.catalog.models import Variant
from commerce.checkout.services import CheckoutRequest, finalize_checkout, place_order
from commerce.orders import services as orders
from commerce.orders.models import Order
from commerce.orders.notifications import ShopperEmail, dedupe_key
from commerce.orders.services import LineRequest
from commerce.payments.services import refund_order
from commerce.store.models import StoreSettings
from commerce.store.selectors import online_outlet
from outbox.models import OutboxMessage
from tests.card_shop import card_checkout
from tests.conftest import on_host
from tests.outbox import deliver_outbox

pytestmark = pytest.mark.django_db


def speak(shop, language: str) -> None:
    shop.merchant.language = language
    shop.merchant.save(update_fields=["language"])


@pytest.fixture
def owner(selling_shop):
    client = on_host(Client(), "alpha.localhost")
    client.force_login(selling_shop.owner)
    return client


def place(shop, *, method="cash_on_delivery", shipping="pickup", email="Mei@Example.test"):
    with shop.merchant:
        variant = Variant.objects.get(sku="OOL-100")
        order = place_order(
            CheckoutRequest(
                reference=str(uuid.uuid4()),
                lines=[LineRequest(variant.pk, 2)],
                email=email,
                contact_name="Mei",
                payment_method=method,
                shipping_method=shipping,
                shipping_address={"line1": "1 Bund", "city": "Shanghai", "postcode": "200000"}
                if shipping == "flat"
                else None,
            )
        )
    connection.set_schema_to_public()
    return order


def shopper_emails(order: Order) -> list[OutboxMessage]:
    return list(
        OutboxMessage.objects.filter(
            dedupe_key__contains=f":shopper-email:{order.reference}:"
        ).order_by("id")
    )


def test_a_pickup_order_paid_in_store_sends_confirmation_payment_and_pickup_once_each(
    selling_shop, owner, mailoutbox
):
    speak(selling_shop, "en")
    order = place(selling_shop, method="pay_in_store")
    assert owner.post(f"/manage/orders/{order.pk}/paid/").status_code == 302
    fulfil = {"carrier": "Counter", "tracking_number": "C-1"}
    assert owner.post(f"/manage/orders/{order.pk}/fulfil/", fulfil).status_code == 302
    # Replays: the payment recorded again and a second fulfil are refused and send nothing.
    assert owner.post(f"/manage/orders/{order.pk}/paid/").status_code == 400
    assert owner.post(f"/manage/orders/{order.pk}/fulfil/", fulfil).status_code == 400

    assert [m.dedupe_key.rsplit(":", 1)[1] for m in shopper_emails(order)] == [
        "placed",
        "paid",
        "ready_for_pickup",
    ]
    assert deliver_outbox() == 3
    assert deliver_outbox() == 0
    assert [mail.subject for mail in mailoutbox] == [
        f"Alpha Tea: order {order.number} confirmed",
        f"Alpha Tea: payment received for order {order.number}",
        f"Alpha Tea: order {order.number} is ready for pickup",
    ]
    assert {tuple(mail.to) for mail in mailoutbox} == {("mei@example.test",)}
    confirmation, payment, pickup = mailoutbox
    assert f"Thank you for your order {order.number}. You pay when you collect it in store." in (
        confirmation.body
    )
    assert f"We have received your payment of 60.00 CNY for order {order.number}." in (payment.body)
    with selling_shop.merchant:
        outlet = online_outlet()
    assert f"Pick it up at: {outlet.name}, {outlet.address}" in pickup.body
    # Every link is on the shop's own host, to the order's status page.
    status_link = f"http://alpha.localhost/orders/{order.status_token}/"
    assert all(status_link in mail.body for mail in mailoutbox)
    assert all(mail.alternatives[0].mimetype == "text/html" for mail in mailoutbox)


def test_a_delivered_order_tells_the_carrier_and_the_tracking_link(selling_shop, owner, mailoutbox):
    speak(selling_shop, "en")
    order = place(selling_shop, shipping="flat")
    response = owner.post(
        f"/manage/orders/{order.pk}/fulfil/", {"carrier": "UPS", "tracking_number": "1Z 999"}
    )
    assert response.status_code == 302
    assert deliver_outbox() == 2
    shipped = mailoutbox[1]
    assert shipped.subject == f"Alpha Tea: order {order.number} is on its way"
    assert "Carrier: UPS" in shipped.body
    assert "Delivery address: 1 Bund, Shanghai 200000" in shipped.body
    assert "Tracking number: 1Z 999" in shipped.body
    assert "Track your parcel: https://www.ups.com/track?tracknum=1Z%20999" in shipped.body
    html = shipped.alternatives[0].content
    assert '<a href="https://www.ups.com/track?tracknum=1Z%20999">Track your parcel</a>' in html
    # The order's status page links the carrier too.
    status_page = owner.get(f"/orders/{order.status_token}/").content.decode()
    assert 'href="https://www.ups.com/track?tracknum=1Z%20999" id="track-parcel"' in status_page


def test_emails_are_in_the_shops_language_chinese(selling_shop, owner, mailoutbox):
    speak(selling_shop, "zh-hans")
    order = place(selling_shop, shipping="flat")
    owner.post(f"/manage/orders/{order.pk}/fulfil/", {"carrier": "顺丰", "tracking_number": "SF1"})
    assert deliver_outbox() == 2
    assert [mail.subject for mail in mailoutbox] == [
        f"Alpha Tea：订单 {order.number} 已确认",
        f"Alpha Tea：订单 {order.number} 已发货",
    ]
    assert f"感谢您的订单 {order.number}。货到付款。" in mailoutbox[0].body
    assert "跟踪您的包裹: https://www.sf-express.com/chn/sc/waybill/waybill-detail/SF1" in (
        mailoutbox[1].body
    )
    assert '<html lang="zh-hans">' in mailoutbox[1].alternatives[0].content


def test_the_email_carries_the_shops_logo_from_its_own_host_never_the_requests(
    selling_shop, mailoutbox
):
    from tenants.models import Domain

    speak(selling_shop, "en")
    with selling_shop.merchant:
        # The stored name of an uploaded logo (uploads are re-encoded by ShopImageField).
        StoreSettings.objects.filter(pk=1).update(
            logo="alpha/logos/mark.png", display_name="Alpha Tea House"
        )
    connection.set_schema_to_public()
    Domain.objects.create(domain="tea.example", tenant=selling_shop.merchant, is_primary=False)
    order = place(selling_shop, shipping="flat")
    # Fulfilled from a request on the shop's other host name: the email still links the
    # shop's primary host.
    elsewhere = on_host(Client(), "tea.example")
    elsewhere.force_login(selling_shop.owner)
    fulfil = {"carrier": "Courier", "tracking_number": "X1"}
    assert elsewhere.post(f"/manage/orders/{order.pk}/fulfil/", fulfil).status_code == 302
    assert deliver_outbox() == 2
    for mail in mailoutbox:
        html = mail.alternatives[0].content
        assert '<img src="http://alpha.localhost/media/alpha/logos/mark.png" ' in html
        assert 'alt="Alpha Tea House"' in html
        assert "tea.example" not in mail.body + html
    assert mailoutbox[1].subject == f"Alpha Tea House: order {order.number} is on its way"
    # A carrier we do not know: no carrier link, the shop's status page tracks it.
    assert "Track your parcel" not in mailoutbox[1].body
    assert f"http://alpha.localhost/orders/{order.status_token}/" in mailoutbox[1].body


def test_cancelling_sends_one_cancellation_and_a_second_cancel_nothing(
    selling_shop, owner, mailoutbox
):
    speak(selling_shop, "en")
    order = place(selling_shop)
    assert owner.post(f"/manage/orders/{order.pk}/cancel/", {"reason": "asked"}).status_code == 302
    assert owner.post(f"/manage/orders/{order.pk}/cancel/", {"reason": "again"}).status_code == 400
    assert deliver_outbox() == 2
    assert [mail.subject for mail in mailoutbox] == [
        f"Alpha Tea: order {order.number} confirmed",
        f"Alpha Tea: order {order.number} is cancelled",
    ]


def test_each_refund_sends_one_email_and_a_replayed_refund_none(selling_shop, owner, mailoutbox):
    speak(selling_shop, "en")
    order = place(selling_shop, method="pay_in_store")
    owner.post(f"/manage/orders/{order.pk}/paid/")
    first = {"amount": "10.00", "reason": "dented tin", "idempotency_key": "r-1"}
    assert owner.post(f"/manage/orders/{order.pk}/refund/", first).status_code == 302
    assert owner.post(f"/manage/orders/{order.pk}/refund/", first).status_code == 302  # replay
    second = {"amount": "50.00", "reason": "returned", "idempotency_key": "r-2"}
    assert owner.post(f"/manage/orders/{order.pk}/refund/", second).status_code == 302
    assert deliver_outbox() == 4
    refunds = [mail for mail in mailoutbox if "refund" in mail.subject]
    assert [mail.subject for mail in refunds] == [f"Alpha Tea: refund for order {order.number}"] * 2
    assert f"We have refunded 10.00 CNY for order {order.number}." in refunds[0].body
    assert f"We have refunded 50.00 CNY for order {order.number}." in refunds[1].body
    assert "Refunded so far: 10.00 of 60.00 CNY." in refunds[0].body
    assert "Refunded so far: 60.00 of 60.00 CNY." in refunds[1].body


def test_a_card_order_sends_one_confirmation_however_often_its_payment_is_reported(
    shop, mailoutbox
):
    speak(shop, "en")
    with shop.merchant:
        paid = card_checkout(shop.merchant, account="acct_1", intent_id="pi_1")
        # The return page, the webhook (on the platform host, whose URLconf has no shop
        # pages), the settlement task.
        for urlconf in ("config.urls_tenant", "config.urls_public", None):
            set_urlconf(urlconf)
            result = finalize_checkout(
                str(paid.checkout.reference),
                payment_intent_id="pi_1",
                amount_received=paid.checkout.total,
            )
        order = result.order
    set_urlconf(None)
    connection.set_schema_to_public()
    assert deliver_outbox() == 1
    [confirmation] = mailoutbox
    assert confirmation.subject == f"Alpha Tea: order {order.number} confirmed"
    assert "Your card payment has been received" in confirmation.body


def test_a_rolled_back_order_sends_nothing(selling_shop):
    with selling_shop.merchant:
        variant = Variant.objects.get(sku="OOL-100")
        with pytest.raises(orders.OutOfStock):
            place_order(
                CheckoutRequest(
                    reference=str(uuid.uuid4()),
                    lines=[LineRequest(variant.pk, 6)],
                    email="mei@example.test",
                    contact_name="Mei",
                    payment_method="cash_on_delivery",
                    shipping_method="pickup",
                )
            )
    assert not OutboxMessage.objects.filter(dedupe_key__contains=":shopper-email:").exists()


def test_in_store_sales_and_orders_without_email_send_nothing(selling_shop):
    with selling_shop.merchant:
        variant = Variant.objects.get(sku="OOL-100")
        orders.pos_sale(
            outlet_id=online_outlet().pk,
            lines=[LineRequest(variant.pk, 1)],
            payment_method="cash",
            actor="till",
            email="walkin@example.test",
        )
    assert not OutboxMessage.objects.filter(dedupe_key__contains=":shopper-email:").exists()


def test_group_buy_orders_leave_payment_and_failure_to_the_plugins_notices(selling_shop):
    """A seat's payment, its team's success and a failed team's refund are told by the
    group-buy notices; the shopper hears about the parcel from the shop's emails."""
    with selling_shop.merchant:
        variant = Variant.objects.get(sku="OOL-100")
        order = place_order(
            CheckoutRequest(
                reference=str(uuid.uuid4()),
                lines=[LineRequest(variant.pk, 1)],
                email="mei@example.test",
                contact_name="Mei",
                payment_method="pay_in_store",
                shipping_method="pickup",
                tags=("groupbuy",),
            )
        )
        orders.record_offline_payment(order.pk, actor="owner@alpha.test")
        refund_order(
            order.pk, amount=Decimal("30.00"), reason="team failed", actor="group-buy",
            idempotency_key="groupbuy:seat:1",
        )  # fmt: skip
        orders.cancel_order(order.pk, reason="team failed", actor="group-buy")
        assert shopper_emails(order) == []
        assert dedupe_key(order, ShopperEmail.PLACED).endswith(f"{order.reference}:placed")
