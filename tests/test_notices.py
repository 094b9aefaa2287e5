"""The merchant console's notices (`/manage/notices/`): each person reads their own notices
only, in their language, dated in the shop's timezone; marks them read one by one (opening
one) or all at once; a stored link is followed only when it stays on our hosts."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from accounts import selectors as notice_selectors
from accounts.models import Notification, PlatformRole
from billing.reminders import send_dunning_reminders
from community import services as community
from core.links import followable
from tenants.models import Merchant, StaffAction
from tenants.services import add_member
from tests.conftest import on_host
from tests.factories import TEST_PASSWORD, UserFactory
from tests.factories_billing import failed_invoice

pytestmark = pytest.mark.django_db

STRIPE_INVOICE = "https://invoice.stripe.com/i/acct_1/test_YWNjdF8x"
ENGLISH_DUNNING = (
    "We could not collect 88.00 CNY for invoice INV-2026-0042. "
    "Please update your card or pay now to keep your shop running."
)
CHINESE_DUNNING = (
    "发票 INV-2026-0042 的 88.00 CNY 未能扣款。请更新银行卡或立即付款，以保持店铺正常运营。"
)


def as_member(user, host: str = "alpha.localhost", **client_options) -> Client:
    client = on_host(Client(**client_options), host)
    client.force_login(user)
    return client


def notice(user, text: str, *, kind: str = "", link: str = "", read=False, at=None):
    return Notification.objects.create(
        recipient=user,
        kind=kind,
        text=text,
        link=link,
        created_at=at or timezone.now(),
        read_at=timezone.now() if read else None,
    )


def shown_ids(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-notice="(\d+)"', response.content.decode())]


def badge(response) -> str | None:
    found = re.search(r'id="notices-unread"[^>]*>(\d+)<', response.content.decode())
    return found.group(1) if found else None


@pytest.fixture
def staffed(shop, other_shop):
    """Alpha's owner and a manager, a cashier and a marketing member; Bravo's owner."""
    members = {"owner": shop.owner}
    for role in ("manager", "cashier", "marketing"):
        members[role] = UserFactory(email=f"{role}@alpha.test")
        add_member(merchant=shop.merchant, user=members[role], role=role)
    members["bravo"] = other_shop.owner
    return members


# ------------------------------------------------------------------------ whose notices


def test_each_person_reads_their_own_notices_only_newest_first(staffed):
    now = timezone.now()
    older = notice(staffed["owner"], "Owner: older", at=now - timedelta(hours=2))
    newer = notice(staffed["owner"], "Owner: newer", at=now - timedelta(hours=1))
    read = notice(staffed["owner"], "Owner: already read", read=True, at=now)
    managers = notice(staffed["manager"], "Manager: private", at=now)
    bravos = notice(staffed["bravo"], "Bravo: private", at=now)

    owner_page = as_member(staffed["owner"]).get("/manage/notices/")
    manager_page = as_member(staffed["manager"]).get("/manage/notices/")
    bravo_page = as_member(staffed["bravo"], "bravo.localhost").get("/manage/notices/")

    assert owner_page.status_code == 200
    assert shown_ids(owner_page) == [read.pk, newer.pk, older.pk]
    assert shown_ids(manager_page) == [managers.pk]
    assert shown_ids(bravo_page) == [bravos.pk]
    text = owner_page.content.decode()
    assert "Manager: private" not in text and "Bravo: private" not in text
    assert "Owner: newer" in text
    # Unread ones are marked; the read one is not.
    assert f'id="notice-{newer.pk}" class="notice unread"' in text
    assert f'id="notice-{read.pk}" class="notice"' in text
    assert "Owner" not in manager_page.content.decode()


@pytest.mark.parametrize("role", ["owner", "manager", "cashier", "marketing"])
def test_every_role_opens_its_notices_from_the_sidebar(staffed, role):
    mine = notice(staffed[role], f"For the {role}")
    for other in {"owner", "manager", "cashier", "marketing"} - {role}:
        notice(staffed[other], f"For the {other}")
    home = {"cashier": "/manage/pos/", "marketing": "/manage/marketing/"}.get(role, "/manage/")
    client = as_member(staffed[role])

    page = client.get(home)
    notices = client.get("/manage/notices/")

    assert 'href="/manage/notices/"' in page.content.decode()
    assert badge(page) == "1"
    assert notices.status_code == 200
    assert shown_ids(notices) == [mine.pk]


def test_another_persons_notice_is_a_404_and_stays_unread(staffed):
    managers = notice(staffed["manager"], "Manager: private", link="/manage/orders/")
    bravos = notice(staffed["bravo"], "Bravo: private", link="/manage/orders/")
    owner = as_member(staffed["owner"])

    assert owner.post(f"/manage/notices/{managers.pk}/open/").status_code == 404
    assert owner.post(f"/manage/notices/{bravos.pk}/open/").status_code == 404
    assert owner.post("/manage/notices/999999/open/").status_code == 404
    # Bravo's owner on Alpha's host is no member here; on their own host, not theirs either.
    bravo_on_alpha = as_member(staffed["bravo"])
    assert bravo_on_alpha.post(f"/manage/notices/{managers.pk}/open/").status_code == 403
    assert bravo_on_alpha.get("/manage/notices/").status_code == 403
    bravo_at_home = as_member(staffed["bravo"], "bravo.localhost")
    assert bravo_at_home.post(f"/manage/notices/{managers.pk}/open/").status_code == 404

    managers.refresh_from_db()
    bravos.refresh_from_db()
    assert managers.read_at is None and bravos.read_at is None
    # Anonymous: to the login page, nothing read.
    anonymous = on_host(Client(), "alpha.localhost")
    response = anonymous.post(f"/manage/notices/{managers.pk}/open/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert Notification.objects.filter(read_at__isnull=False).count() == 0


# ------------------------------------------------------------------------ language, time


def test_a_billing_notice_stored_as_a_message_is_shown_in_the_readers_language(shop):
    Merchant.objects.filter(pk=shop.merchant.pk).update(language="en")
    failed_invoice(shop.merchant, stripe_hosted_url=STRIPE_INVOICE)
    with translation.override("en"):
        assert send_dunning_reminders() == 1
    stored = Notification.objects.get(recipient=shop.owner)
    assert (stored.kind, stored.text, stored.link) == (
        "billing_dunning",
        ENGLISH_DUNNING,
        STRIPE_INVOICE,
    )
    assert stored.message.startswith("We could not collect %(total)s")

    shop.owner.language = "zh-hans"
    shop.owner.save(update_fields=["language"])
    reader = on_host(Client(), "alpha.localhost")
    signed_in = reader.post(
        "/accounts/login/", {"username": shop.owner.email, "password": TEST_PASSWORD}
    )
    chinese = reader.get("/manage/notices/").content.decode()
    reader.cookies["django_language"] = "en"
    english = reader.get("/manage/notices/").content.decode()

    assert signed_in.status_code == 302
    assert CHINESE_DUNNING in chinese
    assert ENGLISH_DUNNING not in chinese
    assert "通知" in chinese and "全部标为已读" in chinese
    assert ENGLISH_DUNNING in english
    assert CHINESE_DUNNING not in english
    # The Stripe URL is never on the page: "Open" posts, and lands on the billing page.
    assert STRIPE_INVOICE not in chinese


def test_a_notices_date_is_the_shops_local_time(shop):
    Merchant.objects.filter(pk=shop.merchant.pk).update(timezone="Asia/Shanghai")
    notice(shop.owner, "Late in London", at=datetime(2026, 1, 31, 17, 30, tzinfo=UTC))

    text = as_member(shop.owner).get("/manage/notices/").content.decode()

    assert "2026-02-01 01:30" in text
    assert "2026-01-31 17:30" not in text
    assert 'datetime="2026-02-01T01:30:00+08:00"' in text


# ------------------------------------------------------------------------ reading


def test_mark_all_as_read_reads_the_persons_own_notices_only(staffed):
    first = notice(staffed["owner"], "One")
    second = notice(staffed["owner"], "Two")
    earlier = timezone.now() - timedelta(days=3)
    already = notice(staffed["owner"], "Three", read=True)
    Notification.objects.filter(pk=already.pk).update(read_at=earlier)
    managers = notice(staffed["manager"], "Manager's")
    bravos = notice(staffed["bravo"], "Bravo's")
    owner = as_member(staffed["owner"])
    assert badge(owner.get("/manage/")) == "2"

    response = owner.post("/manage/notices/read/")

    assert (response.status_code, response["Location"]) == (302, "/manage/notices/")
    assert Notification.objects.filter(pk__in=[first.pk, second.pk], read_at=None).count() == 0
    assert Notification.objects.get(pk=already.pk).read_at == earlier
    assert Notification.objects.get(pk=managers.pk).read_at is None
    assert Notification.objects.get(pk=bravos.pk).read_at is None
    after = owner.get("/manage/notices/")
    assert badge(after) is None
    assert "All your notices are marked as read." in after.content.decode()
    assert 'class="notice unread"' not in after.content.decode()
    assert badge(as_member(staffed["manager"]).get("/manage/")) == "1"
    # Reading one's own notices is not a shop action: no staff activity log line.
    assert not StaffAction.objects.exists()


def test_marking_read_needs_a_post_with_the_csrf_token(shop):
    unread = notice(shop.owner, "Unread", link="/manage/orders/")
    strict = as_member(shop.owner, enforce_csrf_checks=True)

    assert strict.get("/manage/notices/read/").status_code == 405
    assert strict.get(f"/manage/notices/{unread.pk}/open/").status_code == 405
    assert strict.post("/manage/notices/read/").status_code == 403
    assert strict.post(f"/manage/notices/{unread.pk}/open/").status_code == 403
    assert as_member(shop.owner).post("/manage/notices/").status_code == 405
    unread.refresh_from_db()
    assert unread.read_at is None


def test_opening_a_notice_marks_that_one_read_and_follows_its_link(shop):
    opened = notice(shop.owner, "Open me", link="/manage/orders/")
    other = notice(shop.owner, "Leave me", link="/manage/orders/")
    owner = as_member(shop.owner)
    assert badge(owner.get("/manage/")) == "2"

    response = owner.post(f"/manage/notices/{opened.pk}/open/")

    assert (response.status_code, response["Location"]) == (302, "/manage/orders/")
    opened.refresh_from_db()
    other.refresh_from_db()
    assert opened.read_at is not None and other.read_at is None
    assert badge(owner.get("/manage/")) == "1"
    # Opening it again keeps the first read time.
    first_read = opened.read_at
    owner.post(f"/manage/notices/{opened.pk}/open/")
    opened.refresh_from_db()
    assert opened.read_at == first_read
    assert not StaffAction.objects.exists()


def test_a_notice_without_a_link_is_marked_read_and_the_page_comes_back(shop):
    plain = notice(shop.owner, "Just so you know")
    owner = as_member(shop.owner)
    page = owner.get("/manage/notices/").content.decode()
    assert "Mark as read" in page and "Open notice" not in page

    response = owner.post(f"/manage/notices/{plain.pk}/open/")

    assert (response.status_code, response["Location"]) == (302, "/manage/notices/")
    plain.refresh_from_db()
    assert plain.read_at is not None


def test_a_dunning_notice_with_stripes_invoice_link_lands_on_the_billing_page(shop):
    Merchant.objects.filter(pk=shop.merchant.pk).update(language="en")
    failed_invoice(shop.merchant, stripe_hosted_url=STRIPE_INVOICE)
    send_dunning_reminders()
    dunning = Notification.objects.get(recipient=shop.owner, kind="billing_dunning")
    owner = as_member(shop.owner)

    response = owner.post(f"/manage/notices/{dunning.pk}/open/")

    assert (response.status_code, response["Location"]) == (302, "/manage/billing/")
    dunning.refresh_from_db()
    assert dunning.read_at is not None


def test_a_landing_the_role_may_not_open_brings_the_reader_back_here(staffed):
    # A billing notice to a cashier (billing is the owner's and managers'): not sent there.
    for_cashier = notice(staffed["cashier"], "Billing", kind="billing_renewal")
    cashier = as_member(staffed["cashier"])
    assert "Open notice" not in cashier.get("/manage/notices/").content.decode()

    linked = notice(staffed["cashier"], "Billing", link="http://alpha.localhost/manage/billing/")

    response = cashier.post(f"/manage/notices/{for_cashier.pk}/open/")
    linked_response = cashier.post(f"/manage/notices/{linked.pk}/open/")

    assert (response.status_code, response["Location"]) == (302, "/manage/notices/")
    assert (linked_response.status_code, linked_response["Location"]) == (302, "/manage/notices/")
    for_cashier.refresh_from_db()
    linked.refresh_from_db()
    assert for_cashier.read_at is not None and linked.read_at is not None
    # Our own page, only not the cashier's: no word of a link leaving the shop.
    assert "does not lead" not in cashier.get("/manage/notices/").content.decode()


# ------------------------------------------------------------------------ link safety

UNSAFE_LINKS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "javascript://%0Aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.test/manage/",
    "/\\evil.test/manage/",
    "\\\\evil.test",
    "https://evil.test/manage/",
    "http://alpha.localhost.evil.test/manage/",
    "https://alpha.localhost@evil.test/manage/",
    "http://user:pass@alpha.localhost/manage/",
    "http://bravo.localhost/manage/",
    "ftp://alpha.localhost/",
    "http:/evil.test",
    "http://[::1/",
    "manage/orders/",
    "/manage/\x01orders/",
    "/manage/orders/\n",
]


@pytest.mark.parametrize("link", UNSAFE_LINKS)
def test_a_link_that_leaves_our_hosts_is_never_rendered_nor_followed(shop, link):
    hostile = notice(shop.owner, "Click me", link=link)
    owner = as_member(shop.owner)

    page = owner.get("/manage/notices/").content.decode()
    response = owner.post(f"/manage/notices/{hostile.pk}/open/")

    assert "javascript:" not in page.lower() and "evil.test" not in page
    assert 'href="' + link not in page
    assert (response.status_code, response["Location"]) == (302, "/manage/notices/")
    hostile.refresh_from_db()
    assert hostile.read_at is not None
    assert (
        "does not lead to this shop or the platform"
        in owner.get("/manage/notices/").content.decode()
    )


@pytest.mark.parametrize(
    "link",
    [
        "/manage/orders/",
        "/manage/community/questions/7/?tab=thread#reply",
        "http://alpha.localhost/manage/products/",
        "https://ALPHA.localhost/manage/products/",
        "http://localhost/console/",
    ],
)
def test_a_link_on_this_shop_or_the_platform_is_followed(shop, link):
    safe = notice(shop.owner, "Go", link=link)

    response = as_member(shop.owner).post(f"/manage/notices/{safe.pk}/open/")

    assert (response.status_code, response["Location"]) == (302, link)


def test_followable_accepts_our_paths_and_hosts_only():
    hosts = {"alpha.localhost", "alpha.localhost:8000"}
    assert followable("/manage/", hosts) == "/manage/"
    assert followable("http://alpha.localhost:8000/manage/", hosts) == (
        "http://alpha.localhost:8000/manage/"
    )
    assert followable("http://alpha.localhost:8001/manage/", hosts) == ""
    assert followable("", hosts) == ""
    assert followable("/" + "a" * 3000, hosts) == ""
    assert followable("/manage/\x00orders/", hosts) == ""
    for link in UNSAFE_LINKS:
        assert followable(link, hosts) == "", link


def test_the_csm_console_never_renders_a_stored_javascript_link(make_staff):
    csm = make_staff(PlatformRole.CSM)
    notice(csm, "Hostile", link="javascript:alert(1)")
    notice(csm, "Fine", link="/console/onboarding/")
    console = on_host(Client(), "localhost")
    console.force_login(csm)

    notifications = console.get("/console/onboarding/notifications/").content.decode()
    my_day = console.get("/console/onboarding/").content.decode()

    assert "javascript:" not in notifications and "javascript:" not in my_day
    assert 'href="/console/onboarding/">Fine' in notifications
    assert "Hostile" in notifications and "Hostile" in my_day


# ------------------------------------------------------------------------ paging, queries


def test_the_page_is_a_fixed_number_of_queries_whatever_the_number_of_notices(
    shop, django_assert_num_queries
):
    owner = as_member(shop.owner)
    notice(shop.owner, "The first", link="/manage/orders/")
    owner.get("/manage/notices/")  # warm the session, the shop's settings and the badges
    with django_assert_num_queries(6):
        assert owner.get("/manage/notices/").status_code == 200

    Notification.objects.bulk_create(
        Notification(recipient=shop.owner, text=f"Notice {n}", link="/manage/orders/")
        for n in range(120)
    )
    with django_assert_num_queries(6):
        full = owner.get("/manage/notices/")
    with django_assert_num_queries(6):
        last = owner.get("/manage/notices/", {"page": "3"})

    assert len(shown_ids(full)) == 50
    assert len(shown_ids(last)) == 21
    assert "Page 3 of 3" in last.content.decode()


@pytest.mark.parametrize(
    ("page", "expected_page"),
    [("-1", 1), ("0", 1), ("2", 2), ("99999999999999999999999999", 2), ("", 1)],
)
def test_a_page_out_of_range_shows_the_nearest_page(shop, page, expected_page):
    Notification.objects.bulk_create(
        Notification(recipient=shop.owner, text=f"Notice {n}") for n in range(60)
    )

    response = as_member(shop.owner).get("/manage/notices/", {"page": page})

    assert response.status_code == 200
    assert f"Page {expected_page} of 2" in response.content.decode()
    assert len(shown_ids(response)) == (50 if expected_page == 1 else 10)


@pytest.mark.parametrize("page", ["abc", "1e3", "1.5", "9" * 5000, "½"])
def test_a_page_that_is_no_number_is_a_400_naming_it(shop, page):
    notice(shop.owner, "Something")

    response = as_member(shop.owner).get("/manage/notices/", {"page": page})

    assert response.status_code == 400
    text = response.content.decode()
    assert "“page”" in text
    assert "Give the page as a whole number" in text


# ------------------------------------------------------------------------ the badge


def test_the_badge_counts_unread_notices_and_drops_when_billing_writes_one(
    shop, django_capture_on_commit_callbacks
):
    Merchant.objects.filter(pk=shop.merchant.pk).update(language="en")
    notice(shop.owner, "Unread")
    notice(shop.owner, "Read", read=True)
    owner = as_member(shop.owner)
    assert badge(owner.get("/manage/")) == "1"
    assert notice_selectors.cached_unread_notice_count(shop.owner) == 1

    failed_invoice(shop.merchant, stripe_hosted_url=STRIPE_INVOICE)
    with django_capture_on_commit_callbacks(execute=True):
        send_dunning_reminders()

    assert badge(owner.get("/manage/")) == "2"
    owner.post("/manage/notices/read/")
    assert badge(owner.get("/manage/")) is None
    assert 'id="nav-notices"' in owner.get("/manage/").content.decode()


def test_reading_a_community_answer_on_its_question_page_clears_the_notices_badge(
    shop, make_staff, django_capture_on_commit_callbacks
):
    question = community.ask_question(
        merchant=shop.merchant, user=shop.owner, title="Labels?", body="", is_public=False
    )
    owner = as_member(shop.owner)
    assert badge(owner.get("/manage/")) is None
    with django_capture_on_commit_callbacks(execute=True):
        community.answer_question(
            question=question, staff=make_staff(PlatformRole.PRODUCT), body="Orders › Print."
        )
    assert badge(owner.get("/manage/")) == "1"

    owner.get(f"/manage/community/questions/{question.pk}/")

    assert badge(owner.get("/manage/")) is None
    assert Notification.objects.get(recipient=shop.owner).read_at is not None


# ------------------------------------------------------------------ someone in two shops


def test_a_person_in_two_shops_reads_each_shops_notices_in_its_own_console(shop, other_shop):
    person = shop.owner
    add_member(merchant=other_shop.merchant, user=person, role="manager")
    failed_invoice(shop.merchant, stripe_hosted_url=STRIPE_INVOICE)
    send_dunning_reminders()
    alphas = Notification.objects.get(recipient=person)
    platform_wide = notice(person, "About no shop in particular")

    alpha = as_member(person)
    bravo = as_member(person, "bravo.localhost")
    alpha_page = alpha.get("/manage/notices/")
    bravo_page = bravo.get("/manage/notices/")

    assert alphas.merchant_id == shop.merchant.pk
    assert shown_ids(alpha_page) == [platform_wide.pk, alphas.pk]
    assert shown_ids(bravo_page) == [platform_wide.pk]
    assert ENGLISH_DUNNING not in bravo_page.content.decode()
    assert (badge(alpha_page), badge(bravo_page)) == ("2", "1")
    # Alpha's notice cannot be opened from Bravo's console (its link would open Bravo's
    # billing page), and marking all read there leaves it unread.
    assert bravo.post(f"/manage/notices/{alphas.pk}/open/").status_code == 404
    bravo.post("/manage/notices/read/")
    alphas.refresh_from_db()
    platform_wide.refresh_from_db()
    assert alphas.read_at is None
    assert platform_wide.read_at is not None
    assert badge(alpha.get("/manage/notices/")) == "1"
    assert badge(bravo.get("/manage/notices/")) is None
