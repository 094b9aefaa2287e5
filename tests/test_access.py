import pytest
from django.test import Client

from accounts.models import PlatformRole
from commerce.store.models import Outlet
from outbox.models import OutboxMessage
from tenants.models import Merchant, MerchantStatus, MerchantStatusChange
from tenants.services import change_merchant_status
from tests.conftest import on_host
from tests.factories import OutletFactory, UserFactory
from tests.outbox import deliver_outbox

pytestmark = pytest.mark.django_db


def shop_client(user, host: str) -> Client:
    client = on_host(Client(), host)
    client.force_login(user)
    return client


def test_a_member_reaches_its_own_console_and_not_another_shops(shop, other_shop):
    alpha_owner = shop_client(shop.owner, "alpha.localhost")
    assert alpha_owner.get("/manage/").status_code == 200

    on_bravo = shop_client(shop.owner, "bravo.localhost")
    assert on_bravo.get("/manage/").status_code == 403
    assert on_bravo.get("/manage/store/").status_code == 403


def test_anonymous_visitors_are_sent_to_the_shop_login(shop):
    response = on_host(Client(), "alpha.localhost").get("/manage/store/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/manage/store/"


def test_shop_login_admits_members_only(shop, other_shop, password):
    on_alpha = on_host(Client(), "alpha.localhost")

    refused = on_alpha.post(
        "/accounts/login/", {"username": other_shop.owner.email, "password": password}
    )
    assert refused.status_code == 200
    assert "This account has no access to this shop." in refused.content.decode()
    assert "_auth_user_id" not in on_alpha.session

    admitted = on_alpha.post(
        "/accounts/login/", {"username": "OWNER@alpha.test", "password": password}
    )
    assert admitted.status_code == 302
    assert admitted["Location"] == "/manage/"


def test_repeated_failed_logins_lock_the_account(shop):
    on_alpha = on_host(Client(), "alpha.localhost")
    for _attempt in range(5):
        on_alpha.post("/accounts/login/", {"username": shop.owner.email, "password": "wrong"})

    locked = on_alpha.post(
        "/accounts/login/", {"username": shop.owner.email, "password": "wrong-again"}
    )

    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()


def test_password_reset_sends_a_link_on_the_shop_host(shop, mailoutbox):
    on_alpha = on_host(Client(), "alpha.localhost")

    response = on_alpha.post("/accounts/password-reset/", {"email": shop.owner.email})
    queued_only = list(mailoutbox)
    delivered = deliver_outbox()

    assert response.status_code == 302
    assert queued_only == []  # written to the outbox; it goes out on delivery
    assert delivered == 1
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["owner@alpha.test"]
    assert "http://alpha.localhost/accounts/password-reset/" in mailoutbox[0].body


@pytest.mark.parametrize(
    ("roles", "path", "expected"),
    [
        ([PlatformRole.CSM], "/console/merchants/", 200),
        ([PlatformRole.CSM], "/console/onboarding/", 200),
        ([PlatformRole.CSM], "/console/billing/", 403),
        ([PlatformRole.FINANCE], "/console/billing/", 200),
        ([PlatformRole.FINANCE], "/console/onboarding/", 403),
        ([PlatformRole.FINANCE], "/console/metrics/", 200),
        ([PlatformRole.PLATFORM_ADMIN], "/console/billing/", 200),
        ([PlatformRole.PLATFORM_ADMIN], "/console/onboarding/", 200),
    ],
)
def test_console_sections_follow_platform_roles(make_staff, roles, path, expected):
    console = shop_client(make_staff(*roles), "localhost")

    assert console.get(path).status_code == expected


def test_merchant_users_and_visitors_stay_out_of_the_console(shop):
    assert shop_client(shop.owner, "localhost").get("/console/merchants/").status_code == 403
    anonymous = on_host(Client(), "localhost").get("/console/merchants/")
    assert anonymous.status_code == 302
    assert anonymous["Location"] == "/accounts/login/?next=/console/merchants/"


def test_the_console_is_not_served_on_shop_hosts(make_staff, shop):
    admin = shop_client(make_staff(PlatformRole.PLATFORM_ADMIN), "alpha.localhost")

    assert admin.get("/console/merchants/").status_code == 404
    assert admin.get("/manage/").status_code == 403


def test_the_settings_section_is_built_and_the_owners(shop):
    owner = shop_client(shop.owner, "alpha.localhost")

    response = owner.get("/manage/settings/")

    assert response.status_code == 200
    assert "Not available yet" not in response.content.decode()
    assert "Staff and roles" in response.content.decode()


def test_console_merchant_search_filters_by_text_and_status(make_staff, shop, other_shop):
    change_merchant_status(
        merchant=other_shop.merchant, to_status="suspended", reason="Unpaid", changed_by=None
    )
    console = shop_client(make_staff(PlatformRole.CSM), "localhost")

    by_email = console.get("/console/merchants/", {"q": "owner@bravo"})
    by_status = console.get("/console/merchants/", {"status": "active"})

    assert [m.slug for m in by_email.context["page"]] == ["bravo"]
    assert [m.slug for m in by_status.context["page"]] == ["alpha"]


def test_only_platform_admins_change_a_merchants_status(make_staff, shop):
    url = f"/console/merchants/{shop.merchant.pk}/status/"
    csm = shop_client(make_staff(PlatformRole.CSM), "localhost")
    assert csm.post(url, {"status": "suspended", "reason": "Test"}).status_code == 403

    admin_user = make_staff(PlatformRole.PLATFORM_ADMIN)
    admin = shop_client(admin_user, "localhost")
    missing_reason = admin.post(url, {"status": "suspended", "reason": ""})
    assert missing_reason.status_code == 400
    assert "reason" in missing_reason.context["status_form"].errors
    assert not MerchantStatusChange.objects.exists()

    done = admin.post(url, {"status": "suspended", "reason": "Fraud review"})
    assert done.status_code == 302
    change = MerchantStatusChange.objects.get()
    assert (change.from_status, change.to_status, change.changed_by) == (
        "active",
        "suspended",
        admin_user,
    )
    assert Merchant.objects.get(pk=shop.merchant.pk).status == MerchantStatus.SUSPENDED


def test_a_suspended_shop_closes_its_storefront_but_keeps_its_console(shop):
    visitor = on_host(Client(), "alpha.localhost")
    assert visitor.get("/").status_code == 200

    change_merchant_status(
        merchant=shop.merchant, to_status="suspended", reason="Unpaid", changed_by=None
    )

    storefront = visitor.get("/")
    assert storefront.status_code == 503
    assert "temporarily closed" in storefront.content.decode()
    assert shop_client(shop.owner, "alpha.localhost").get("/manage/").status_code == 200


def test_a_closed_shop_answers_gone_everywhere(shop):
    change_merchant_status(
        merchant=shop.merchant, to_status="closed", reason="Left", changed_by=None
    )

    owner = shop_client(shop.owner, "alpha.localhost")
    assert owner.get("/").status_code == 410
    assert owner.get("/manage/").status_code == 410


def test_an_unknown_host_gets_a_friendly_page():
    response = on_host(Client(), "nobody.localhost").get("/manage/")

    assert response.status_code == 404
    assert "There is no shop here" in response.content.decode()


def test_store_settings_and_outlets_are_edited_with_field_errors(shop):
    owner = shop_client(shop.owner, "alpha.localhost")

    bad = owner.post(
        "/manage/store/", {"display_name": "", "contact_email": "nope", "currency": "CNY"}
    )
    assert bad.status_code == 400
    assert set(bad.context["form"].errors) == {"display_name", "contact_email"}

    saved = owner.post(
        "/manage/store/", {"display_name": "Alpha 茶", "tagline": "Fresh", "currency": "CNY"}
    )
    assert saved.status_code == 302
    assert "Alpha 茶" in on_host(Client(), "alpha.localhost").get("/").content.decode()

    assert (
        owner.post(
            "/manage/store/outlets/new/", {"name": "Bund", "address": "1 Bund", "kind": "store"}
        ).status_code
        == 302
    )
    duplicate = owner.post(
        "/manage/store/outlets/new/", {"name": "bund", "address": "2 Bund", "kind": "store"}
    )
    assert duplicate.status_code == 400
    assert duplicate.context["form"].errors["name"] == ["An outlet with this name already exists."]
    with shop.merchant:
        assert list(Outlet.objects.values_list("name", flat=True)) == ["Bund"]


def test_the_manage_overview_runs_a_fixed_number_of_queries(shop, django_assert_num_queries):
    with shop.merchant:
        OutletFactory.create_batch(3)
    owner = shop_client(shop.owner, "alpha.localhost")
    owner.get("/manage/")  # the first read creates the store settings row

    # search_path, user (the session comes from Redis), membership, outlet count, a product? (settings: cached),
    # the billing banner (past due / failed payment)
    with django_assert_num_queries(6):
        assert owner.get("/manage/").status_code == 200


def test_an_api_token_of_another_shop_cannot_list_outlets(shop, other_shop):
    with other_shop.merchant:
        OutletFactory(name="Bravo secret outlet")
    intruder = shop_client(UserFactory(), "bravo.localhost")

    response = intruder.get("/api/v1/outlets/")

    assert response.status_code == 403
    assert "Bravo secret outlet" not in response.content.decode()


RESET_PATH = "/accounts/password-reset/"


@pytest.mark.parametrize(
    ("host", "link_root"),
    [
        ("alpha.localhost:9999", "http://alpha.localhost/accounts/password-reset/"),
        ("evil.test", "http://alpha.localhost/accounts/password-reset/"),  # a non-primary alias
        ("127.0.0.1:8080", "http://localhost/accounts/password-reset/"),  # the platform
        ("testserver", "http://localhost/accounts/password-reset/"),
    ],
)
def test_reset_links_use_the_configured_host_never_the_request_host(
    shop, mailoutbox, host, link_root
):
    from tenants.hosts import forget_merchant_hosts
    from tenants.models import Domain

    Domain.objects.create(domain="evil.test", tenant=shop.merchant, is_primary=False)
    forget_merchant_hosts(shop.merchant)

    response = on_host(Client(), host).post(RESET_PATH, {"email": "OWNER@alpha.test"})

    assert response.status_code == 302
    assert deliver_outbox() == 1
    assert len(mailoutbox) == 1
    body = mailoutbox[0].body
    assert link_root in body
    assert "evil.test" not in body and "9999" not in body and "8080" not in body


def test_a_shop_with_a_custom_primary_domain_sends_links_to_it(shop, mailoutbox):
    from tenants.hosts import forget_merchant_hosts
    from tenants.models import Domain

    Domain.objects.filter(tenant=shop.merchant).update(is_primary=False)
    Domain.objects.create(domain="tea.example", tenant=shop.merchant, is_primary=True)
    forget_merchant_hosts(shop.merchant)

    on_host(Client(), "alpha.localhost").post(RESET_PATH, {"email": shop.owner.email})

    assert deliver_outbox() == 1
    assert "http://tea.example/accounts/password-reset/" in mailoutbox[0].body


def test_an_unknown_host_cannot_ask_for_a_reset(shop, mailoutbox):
    response = on_host(Client(), "evil.test").post(RESET_PATH, {"email": shop.owner.email})

    assert response.status_code == 404
    assert deliver_outbox() == 0
    assert mailoutbox == []


def test_password_resets_over_the_limit_get_429_and_send_nothing(settings, shop, mailoutbox):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "password_reset": "2/h"}
    browser = on_host(Client(), "alpha.localhost")
    for _visit in range(3):
        assert browser.get(RESET_PATH).status_code == 200  # GETs are not counted
    for email in (shop.owner.email, "nobody@alpha.test"):
        assert browser.post(RESET_PATH, {"email": email}).status_code == 302
    assert deliver_outbox() == 1  # the owner's link; an unknown address gets nothing

    refused = browser.post(RESET_PATH, {"email": shop.owner.email})

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert OutboxMessage.objects.count() == 1
    assert deliver_outbox() == 0
    assert len(mailoutbox) == 1
