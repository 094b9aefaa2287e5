"""Issue 12, hole 1 in a real browser: a GIF/JavaScript polyglot one merchant uploads as a
logo never runs as script, on another merchant's console or on its own shop."""

import pytest

from commerce.store.models import StoreSettings
from tests.factories import TEST_PASSWORD, ShopFactory
from tests.test_media_security import gif_js_polyglot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PWNED = "typeof window.__mediaPwned"


@pytest.fixture(autouse=True)
def _media_through_the_app(monkeypatch):
    """Django's live server answers MEDIA_URL from MEDIA_ROOT itself, on every host, before
    the app sees the request; production has no such shortcut, so it is off here and the
    app's media view answers."""
    from django.test.testcases import _MediaFilesHandler

    monkeypatch.setattr(_MediaFilesHandler, "_should_handle", lambda self, path: False)


def log_in(page, shop_url: str, email: str) -> None:
    page.goto(f"{shop_url}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]:has-text('Log in')")
    page.wait_for_url(f"{shop_url}/manage/")


def test_the_payload_is_live_javascript(browser):
    """The test file really is a script that sets the marker: the other tests prove the fix,
    not a harmless file."""
    context = browser.new_context()
    page = context.new_page()
    page.set_content("<html><body></body></html>")

    page.add_script_tag(content=gif_js_polyglot().decode("latin-1"))

    assert page.evaluate("window.__mediaPwned") == 1
    context.close()


def test_a_polyglot_logo_of_shop_a_never_runs_on_shop_b(live_server, browser):
    mallory = ShopFactory(slug="mallory", shop_name="Mallory Goods")
    victim = ShopFactory(slug="victim", shop_name="Victim Tea")
    port = live_server.url.rsplit(":", 1)[1]
    mallory_url = f"http://mallory.localhost:{port}"
    victim_url = f"http://victim.localhost:{port}"

    # Merchant A uploads the polyglot as its logo, named like a script.
    attacker = browser.new_context(locale="en-US")
    attacker_page = attacker.new_page()
    log_in(attacker_page, mallory_url, mallory.owner.email)
    attacker_page.goto(f"{mallory_url}/manage/store/")
    attacker_page.set_input_files(
        "input[name=logo]",
        files=[{"name": "x.js", "mimeType": "application/javascript", "buffer": gif_js_polyglot()}],
    )
    with attacker_page.expect_navigation():
        attacker_page.click("form[enctype] button[type=submit]")
    with mallory.merchant:
        logo = StoreSettings.objects.get().logo.name
    assert logo.startswith(f"{mallory.merchant.schema_name}/logos/") and logo.endswith(".png")

    # Merchant B, logged in on B's host, gets a page that loads A's file as a script from
    # B's own origin (what the shared /media/ folder allowed) and from A's host.
    victim_context = browser.new_context(locale="en-US")
    page = victim_context.new_page()
    log_in(page, victim_url, victim.owner.email)
    media_statuses: dict[str, int] = {}
    page.on(
        "response",
        lambda response: (
            media_statuses.__setitem__(response.url, response.status)
            if "/media/" in response.url
            else None
        ),
    )
    page.set_content(
        f'<script src="/media/{logo}"></script>'
        f'<script src="/media/logos/{logo.rsplit("/", 1)[1]}"></script>'
    )

    assert page.evaluate(PWNED) == "undefined"
    assert media_statuses == {
        f"{victim_url}/media/{logo}": 404,
        f"{victim_url}/media/logos/{logo.rsplit('/', 1)[1]}": 404,
    }
    assert page.url == f"{victim_url}/manage/"

    # Opening A's URL on B's host is a 404 too, and runs nothing.
    response = page.goto(f"{victim_url}/media/{logo}")
    assert response.status == 404
    assert page.evaluate(PWNED) == "undefined"

    # On A's own host the file is an image: the browser refuses it as a script (nosniff),
    # and opened directly it is a sandboxed picture.
    attacker_page.goto(f"{mallory_url}/manage/")
    attacker_page.set_content(f'<script src="/media/{logo}"></script>')
    assert attacker_page.evaluate(PWNED) == "undefined"
    direct = attacker_page.goto(f"{mallory_url}/media/{logo}")
    assert direct.status == 200
    assert direct.headers["content-type"] == "image/png"
    assert direct.headers["x-content-type-options"] == "nosniff"
    assert attacker_page.evaluate(PWNED) == "undefined"
    attacker.close()
    victim_context.close()
