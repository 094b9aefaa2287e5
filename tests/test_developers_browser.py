"""In a browser: an owner makes an API key (seen once), uses it, revokes it; adds a webhook
endpoint, sends a test event to a real receiver and reads the delivery log."""

import pytest
import requests
from playwright.sync_api import expect

from outbox.services import deliver_due_messages
from tests.factories import ShopFactory
from tests.fakes.webhook_receiver import Receiver, start
from tests.test_billing_browser import log_in
from tests.test_browser import port_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_owner_makes_uses_and_revokes_a_key_and_tests_a_webhook(
    live_server, page, settings, outbox_delivered_by_test
):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    receiver = Receiver()
    server, hook_url = start(receiver)
    opened = ShopFactory(slug="lotus", shop_name="Lotus Tea")
    shop = f"http://lotus.localhost:{port_of(live_server)}"

    log_in(page, shop, opened.owner.email)
    page.goto(f"{shop}/manage/")
    page.click("nav.sidebar >> text=Developers")
    page.fill("input[name=name]", "ERP sync")
    page.select_option("select[name=scope_products]", "read")
    page.click("#create-key")
    secret = page.locator("#new-key-secret").inner_text()
    assert secret.startswith("mpk_")

    answer = requests.get(
        f"http://127.0.0.1:{port_of(live_server)}/api/v1/products/",
        headers={
            "Host": f"lotus.localhost:{port_of(live_server)}",
            "Authorization": f"Bearer {secret}",
        },
        timeout=10,
    )
    assert answer.status_code == 200

    page.goto(f"{shop}/manage/developers/")
    expect(page.locator("#new-key")).to_have_count(0)
    expect(page.locator("#api-keys")).to_contain_text(secret[:12])
    page.click("#api-keys button:has-text('Revoke')")
    expect(page.locator("#api-keys")).to_contain_text("Revoked")
    revoked = requests.get(
        f"http://127.0.0.1:{port_of(live_server)}/api/v1/products/",
        headers={
            "Host": f"lotus.localhost:{port_of(live_server)}",
            "Authorization": f"Bearer {secret}",
        },
        timeout=10,
    )
    assert revoked.status_code == 401

    page.fill("#endpoint-form input[name=url]", hook_url)
    page.check("#endpoint-form input[value='order.paid']")
    page.click("#create-endpoint")
    expect(page.locator("#endpoint-secret")).to_contain_text("whsec_")
    page.click("#send-test")
    deliver_due_messages()
    page.reload()
    expect(page.locator("#deliveries")).to_contain_text("webhook.test")
    expect(page.locator("#deliveries")).to_contain_text("HTTP 200")
    assert len(receiver.received) == 1
    server.shutdown()
