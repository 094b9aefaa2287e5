"""Each role's matrix over every `/manage/` page and API endpoint (issue 16, item 8).

Like tests/test_isolation.py, every route of the tenant URLconf is found automatically and
tried as an owner, a manager, a cashier and a marketing member. The expectation below is
written out independently of `tenants.access.SECTION_ROLES`: cashiers reach the till and
orders only, marketing campaigns and data only, managers everything but the owner's staff
settings, of which they read the staff page itself (read-only: every action under it is
refused). A page added tomorrow is refused to cashiers and marketing unless listed.
"""

import pytest
from django.db import connection
from django.test import Client

from commerce.store.models import Outlet, StoreSettings
from commerce.store.selectors import store_settings
from tenants.access import roles_for_path
from tenants.models import FormerSeat, StaffAction, StaffInvitation
from tenants.services import add_member
from tests.conftest import on_host
from tests.factories import OutletFactory, UserFactory
from tests.test_isolation import STAFF_PREFIXES, tenant_routes, url_for

pytestmark = pytest.mark.django_db

MAY_OPEN = {
    "owner": ("/manage/", "/api/"),
    "manager": ("/manage/", "/api/"),
    # Every role reads (and marks read) its own notices.
    "cashier": ("/manage/pos/", "/manage/orders/", "/api/v1/orders/", "/manage/notices/"),
    "marketing": ("/manage/marketing/", "/manage/data/", "/manage/notices/"),
}
NEVER = {"manager": ("/manage/settings/",)}
# Single pages (exact URLs) a role reads inside a section NEVER closes to it.
READS = {"manager": ("/manage/settings/",)}
HOME = {"cashier": "/manage/pos/", "marketing": "/manage/marketing/"}


def expected_open(role: str, url: str) -> bool:
    if url in READS.get(role, ()):
        return True
    if any(url.startswith(prefix) for prefix in NEVER.get(role, ())):
        return False
    return any(url.startswith(prefix) for prefix in MAY_OPEN[role])


@pytest.fixture
def staffed_shop(shop):
    for role in ("manager", "cashier", "marketing"):
        add_member(merchant=shop.merchant, user=UserFactory(email=f"{role}@alpha.test"), role=role)
    with shop.merchant:
        outlet = OutletFactory(name="Bund")
        # The settings row a shop's first page view fills in from the merchant record: the
        # snapshot below is about what a refused role changes, not about that first read.
        store_settings()
    connection.set_schema_to_public()
    return shop, outlet.pk


def as_role(shop, role: str) -> Client:
    user = shop.owner if role == "owner" else shop.merchant.memberships.get(role=role).user
    client = on_host(Client(), "alpha.localhost")
    client.force_login(user)
    return client


def snapshot(merchant) -> tuple:
    with merchant:
        state = (
            list(Outlet.objects.order_by("pk").values()),
            list(StoreSettings.objects.values()),
        )
    connection.set_schema_to_public()
    return state


def staff_snapshot(merchant) -> tuple:
    return (
        list(merchant.memberships.order_by("pk").values("pk", "user_id", "role")),
        list(StaffInvitation.objects.filter(merchant=merchant).values()),
        FormerSeat.objects.filter(merchant=merchant).count(),
    )


def staff_urls(object_id: int) -> list[str]:
    urls = [url_for(route, object_id) for route in tenant_routes()]
    return [url for url in urls if url.startswith(STAFF_PREFIXES)]


def test_the_walker_covers_the_consoles_sections():
    urls = staff_urls(1)
    for section in ("/manage/pos/", "/manage/marketing/", "/manage/settings/", "/api/v1/"):
        assert any(url.startswith(section) for url in urls), section
    assert len(urls) >= 40


@pytest.mark.parametrize("role", ["owner", "manager", "cashier", "marketing"])
def test_each_role_opens_exactly_its_sections(staffed_shop, role):
    shop, outlet_id = staffed_shop
    before = snapshot(shop.merchant)
    staff_before = staff_snapshot(shop.merchant)
    opened, refused = [], []

    for url in staff_urls(outlet_id):
        client = as_role(shop, role)
        got = client.get(url)
        posted = client.post(url, {"name": "HIJACKED", "address": "HIJACKED"})
        connection.set_schema_to_public()
        if expected_open(role, url):
            # Open: the role check lets it through (the view may still say 404/405/400).
            assert got.status_code != 403 or posted.status_code != 403, f"{role} GET {url}"
            assert role in roles_for_path(url)
            opened.append(url)
            continue
        refused.append(url)
        if url == "/manage/" and role in HOME:
            assert (got.status_code, got["Location"]) == (302, HOME[role]), url
        else:
            assert got.status_code in (403, 405), f"{role} GET {url}: {got.status_code}"
        assert posted.status_code in (403, 405), f"{role} POST {url}: {posted.status_code}"
        assert got.status_code == 403 or posted.status_code == 403 or url == "/manage/", url

    if role in ("cashier", "marketing"):
        assert snapshot(shop.merchant) == before
        assert not StaffAction.objects.filter(actor_role=role).exists()
    if role != "owner":
        # Nobody but the owner changed the staff, whatever the walk posted.
        assert staff_snapshot(shop.merchant) == staff_before
    if role == "manager":
        assert "/manage/settings/" in opened
        assert refused == [
            url
            for url in staff_urls(outlet_id)
            if url.startswith("/manage/settings/") and url != "/manage/settings/"
        ]
    assert opened and (refused or role == "owner")
    if role == "owner":
        assert refused == []


def test_the_pages_a_role_uses_answer_and_the_rest_refuse(staffed_shop):
    shop, _outlet = staffed_shop
    cashier, marketing, manager = (as_role(shop, r) for r in ("cashier", "marketing", "manager"))

    assert cashier.get("/manage/pos/").status_code == 200
    assert cashier.get("/manage/orders/").status_code == 200
    assert cashier.get("/api/v1/orders/").status_code == 200
    assert cashier.get("/manage/marketing/").status_code == 403
    assert cashier.get("/api/v1/products/").status_code == 403
    assert marketing.get("/manage/marketing/").status_code == 200
    assert marketing.get("/manage/data/").status_code == 200
    assert marketing.get("/manage/pos/").status_code == 403
    assert manager.get("/manage/products/").status_code == 200
    assert manager.get("/manage/settings/").status_code == 200
    assert manager.get("/manage/settings/activity/").status_code == 403
    assert manager.post("/manage/settings/invite/").status_code == 403
    assert cashier.get("/manage/settings/").status_code == 403
    assert marketing.get("/manage/settings/").status_code == 403


def test_the_navigation_shows_a_role_only_what_it_may_open(staffed_shop):
    shop, _outlet = staffed_shop

    cashier_page = as_role(shop, "cashier").get("/manage/pos/").content.decode()
    marketing_page = as_role(shop, "marketing").get("/manage/marketing/").content.decode()
    manager_page = as_role(shop, "manager").get("/manage/").content.decode()
    owner_page = as_role(shop, "owner").get("/manage/").content.decode()

    assert 'href="/manage/pos/"' in cashier_page
    assert 'href="/manage/orders/"' in cashier_page
    for hidden in ("/manage/marketing/", "/manage/products/", "/manage/settings/", "/manage/data/"):
        assert f'href="{hidden}"' not in cashier_page
    for shown in ("/manage/marketing/", "/manage/products/", "/manage/settings/", "/manage/pos/"):
        assert f'href="{shown}"' in owner_page
    # Managers read the staff page: the sidebar links it; cashiers and marketing do not see it.
    assert 'href="/manage/settings/"' in manager_page
    assert 'href="/manage/settings/"' not in marketing_page
