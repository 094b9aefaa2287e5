"""Staff of a shop: invitations by email, roles, removal, ownership, seats and the staff
activity log (issue 16, item 8)."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.test import Client

from accounts.models import User
from billing.models import Invoice
from billing.run import run_billing
from outbox.models import OutboxMessage
from tenants.models import (
    Domain,
    FormerSeat,
    Membership,
    MembershipRole,
    StaffAction,
    StaffInvitation,
)
from tenants.selectors import seats_held
from tenants.services import add_member
from tests.conftest import on_host
from tests.factories import TEST_PASSWORD, OutletFactory, UserFactory
from tests.factories_billing import MerchantRowFactory, PlanFactory, subscribe
from tests.outbox import deliver_outbox

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/accounts/invitations/(\S+)/")


def shop_client(user, host: str = "alpha.localhost") -> Client:
    client = on_host(Client(), host)
    client.force_login(user)
    return client


def member(shop, role: str, email: str) -> Membership:
    return add_member(merchant=shop.merchant, user=UserFactory(email=email), role=role)


def invite(owner_client: Client, email: str, role: str = "cashier"):
    return owner_client.post("/manage/settings/invite/", {"email": email, "role": role})


def link_in(mail) -> tuple[str, str]:
    match = LINK.search(mail.body)
    assert match, mail.body
    return match.group(0), match.group(1)


# -- invitations ----------------------------------------------------------------------------


def test_an_invitation_is_one_email_whose_link_uses_the_shops_configured_domain(shop, mailoutbox):
    # The shop's primary domain is its own; the owner works on the platform subdomain.
    Domain.objects.filter(tenant=shop.merchant).update(is_primary=False)
    Domain.objects.create(
        domain="shop.alpha-tea.test", tenant=shop.merchant, is_primary=True, is_custom=True
    )
    owner = shop_client(shop.owner)

    response = invite(owner, "  Mei@Example.TEST ", "cashier")
    queued = list(mailoutbox)
    delivered = deliver_outbox()

    assert response.status_code == 302
    assert queued == []  # through the outbox, after the commit
    assert delivered == 1
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["mei@example.test"]
    assert "Alpha Tea" in mail.subject
    url, token = link_in(mail)
    assert url.startswith("http://shop.alpha-tea.test/accounts/invitations/")
    assert "alpha.localhost" not in mail.body
    # In the shop's language and on its clock, whoever sent it.
    assert shop.merchant.language == "zh-hans"
    assert mail.subject == "加入 Alpha Tea 的员工团队"
    assert "在此接受邀请" in mail.body
    invitation = StaffInvitation.objects.get()
    assert (invitation.email, invitation.role, invitation.invited_by) == (
        "mei@example.test",
        "cashier",
        shop.owner,
    )
    local_expiry = invitation.expires_at.astimezone(ZoneInfo("Asia/Shanghai"))
    assert f"{local_expiry:%Y-%m-%d %H:%M}（Asia/Shanghai）" in mail.body
    assert token not in invitation.token_hash  # only the hash is stored
    assert deliver_outbox() == 0  # no second email
    assert OutboxMessage.objects.get().payload["body"] == ""  # the link is blanked once sent


def test_a_new_person_accepts_by_choosing_a_password_and_lands_on_the_till(shop, mailoutbox):
    invite(shop_client(shop.owner), "mei@example.test", "cashier")
    deliver_outbox()
    _url, token = link_in(mailoutbox[0])
    visitor = on_host(Client(), "alpha.localhost")

    page = visitor.get(f"/accounts/invitations/{token}/")
    mismatch = visitor.post(
        f"/accounts/invitations/{token}/",
        {"password": TEST_PASSWORD, "password_again": "something-else-entirely"},
    )
    assert not User.objects.filter(email="mei@example.test").exists()
    accepted = visitor.post(
        f"/accounts/invitations/{token}/",
        {"password": TEST_PASSWORD, "password_again": TEST_PASSWORD},
    )

    assert page.status_code == 200
    assert "Cashier" in page.content.decode()
    assert mismatch.status_code == 400
    assert "The two passwords differ." in mismatch.content.decode()
    assert accepted.status_code == 302
    assert accepted["Location"] == "/manage/"
    mei = User.objects.get(email="mei@example.test")
    assert mei.check_password(TEST_PASSWORD)
    assert Membership.objects.get(user=mei).role == "cashier"
    landing = visitor.get("/manage/")
    assert (landing.status_code, landing["Location"]) == (302, "/manage/pos/")
    again = visitor.get(f"/accounts/invitations/{token}/")
    assert again.status_code == 410  # used once
    assert StaffAction.objects.filter(action="staff.joined", actor=mei).count() == 1


def test_someone_with_an_account_links_it_with_their_password(shop, other_shop, mailoutbox):
    # bravo's owner is invited to alpha as marketing: the same account, a second shop.
    invite(shop_client(shop.owner), other_shop.owner.email, "marketing")
    deliver_outbox()
    _url, token = link_in(mailoutbox[0])
    visitor = on_host(Client(), "alpha.localhost")

    wrong = visitor.post(f"/accounts/invitations/{token}/", {"password": "not-it"})
    assert wrong.status_code == 400
    assert not Membership.objects.filter(user=other_shop.owner, merchant=shop.merchant).exists()
    right = visitor.post(f"/accounts/invitations/{token}/", {"password": TEST_PASSWORD})

    assert right.status_code == 302
    assert Membership.objects.get(user=other_shop.owner, merchant=shop.merchant).role == (
        "marketing"
    )
    assert User.objects.filter(email=other_shop.owner.email).count() == 1
    # Their own shop is untouched.
    assert Membership.objects.get(user=other_shop.owner, merchant=other_shop.merchant).role == (
        "owner"
    )


def test_an_expired_withdrawn_or_replaced_invitation_admits_nobody(shop, mailoutbox):
    owner = shop_client(shop.owner)
    invite(owner, "late@example.test")
    invite(owner, "gone@example.test")
    invite(owner, "twice@example.test")
    invite(owner, "twice@example.test", "manager")  # a resend replaces the first link
    deliver_outbox()
    tokens = {mail.to[0]: link_in(mail)[1] for mail in mailoutbox}
    first_twice = link_in(mailoutbox[2])[1]
    gone = StaffInvitation.objects.get(email="gone@example.test")
    assert owner.post(f"/manage/settings/invitations/{gone.pk}/revoke/").status_code == 302
    visitor = on_host(Client(), "alpha.localhost")
    form = {"password": TEST_PASSWORD, "password_again": TEST_PASSWORD}

    with time_machine.travel(datetime.now(UTC) + timedelta(days=8)):
        late = visitor.post(f"/accounts/invitations/{tokens['late@example.test']}/", form)
    withdrawn = visitor.post(f"/accounts/invitations/{tokens['gone@example.test']}/", form)
    replaced = visitor.post(f"/accounts/invitations/{first_twice}/", form)
    unknown = visitor.get("/accounts/invitations/not-a-token/")

    assert late.status_code == 410
    assert "expired" in late.content.decode()
    assert withdrawn.status_code == 410
    assert replaced.status_code == 410
    assert unknown.status_code == 404
    assert Membership.objects.filter(merchant=shop.merchant).count() == 1  # the owner only
    assert not User.objects.filter(email__in=["late@example.test", "gone@example.test"]).exists()
    assert StaffInvitation.objects.get(email="twice@example.test", revoked_at=None).role == (
        "manager"
    )


def test_invite_refuses_members_the_owner_role_and_bad_addresses(shop):
    member(shop, "manager", "ann@example.test")
    owner = shop_client(shop.owner)

    existing = invite(owner, "ANN@example.test")
    as_owner = invite(owner, "new@example.test", "owner")
    bad = invite(owner, "not an email")

    assert existing.status_code == 400
    assert "already on your staff" in existing.content.decode()
    assert as_owner.status_code == 400
    assert bad.status_code == 400
    assert not StaffInvitation.objects.exists()
    assert not OutboxMessage.objects.exists()


# -- members --------------------------------------------------------------------------------


def test_the_owner_changes_a_role_and_removal_ends_access_at_once(shop):
    ann = member(shop, "cashier", "ann@example.test")
    ann_client = shop_client(ann.user)
    owner = shop_client(shop.owner)
    assert ann_client.get("/manage/products/").status_code == 403

    changed = owner.post(f"/manage/settings/members/{ann.pk}/role/", {"role": "manager"})
    assert changed.status_code == 302
    assert ann_client.get("/manage/products/").status_code == 200

    removed = owner.post(f"/manage/settings/members/{ann.pk}/remove/")

    assert removed.status_code == 302
    assert not Membership.objects.filter(pk=ann.pk).exists()
    assert ann_client.get("/manage/orders/").status_code == 403
    seat = FormerSeat.objects.get()
    assert (seat.email, seat.role, seat.started_at) == (
        "ann@example.test",
        "manager",
        ann.created_at,
    )
    assert [a.action for a in StaffAction.objects.order_by("id")] == [
        "staff.role_changed",
        "staff.removed",
    ]
    log = StaffAction.objects.get(action="staff.role_changed")
    assert (log.actor, log.actor_role, log.target, log.details) == (
        shop.owner,
        "owner",
        "ann@example.test",
        {"from": "cashier", "to": "manager"},
    )


def test_the_owner_cannot_be_removed_or_demoted_and_another_shops_member_is_not_found(
    shop, other_shop
):
    owner_membership = Membership.objects.get(user=shop.owner)
    bravo_owner = Membership.objects.get(user=other_shop.owner)
    owner = shop_client(shop.owner)

    owner.post(f"/manage/settings/members/{owner_membership.pk}/remove/")
    owner.post(f"/manage/settings/members/{owner_membership.pk}/role/", {"role": "cashier"})
    owner.post(f"/manage/settings/members/{bravo_owner.pk}/remove/")
    page = owner.get("/manage/settings/")

    assert Membership.objects.get(pk=owner_membership.pk).role == "owner"
    assert Membership.objects.filter(pk=bravo_owner.pk).exists()
    assert not FormerSeat.objects.exists()
    assert not StaffAction.objects.exists()
    text = page.content.decode()
    assert "The owner cannot be removed. Transfer ownership first." in text
    assert "This person is not on your staff." in text


def test_transferring_ownership_keeps_exactly_one_owner(shop):
    ann = member(shop, "manager", "ann@example.test")
    owner = shop_client(shop.owner)

    response = owner.post(f"/manage/settings/members/{ann.pk}/transfer/")

    assert response.status_code == 302
    roles = dict(
        Membership.objects.filter(merchant=shop.merchant).values_list("user__email", "role")
    )
    assert roles == {"owner@alpha.test": "manager", "ann@example.test": "owner"}
    # No longer the owner: the staff page is read-only, its actions refused.
    assert owner.get("/manage/settings/").context["can_manage_staff"] is False
    assert owner.post("/manage/settings/invite/", {"email": "x@example.test"}).status_code == 403
    assert shop_client(ann.user).get("/manage/settings/").status_code == 200
    entry = StaffAction.objects.get(action="staff.ownership_transferred")
    assert (entry.actor, entry.target) == (shop.owner, "ann@example.test")


def test_the_database_refuses_a_second_owner(shop):
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(
            merchant=shop.merchant, user=UserFactory(), role=MembershipRole.OWNER
        )


# -- seats ----------------------------------------------------------------------------------


def test_the_settings_page_shows_seats_in_use_against_the_plan(shop):
    subscribe(
        shop.merchant,
        PlanFactory(included_seats=2, extra_seat_price=Decimal("50")),
        start=date(2026, 1, 1),
    )
    member(shop, "cashier", "ann@example.test")
    member(shop, "marketing", "bo@example.test")

    page = shop_client(shop.owner).get("/manage/settings/")

    assert page.status_code == 200
    seats = page.context["seats"]
    assert (seats.in_use, seats.terms.included_seats, seats.extra) == (3, 2, 1)
    assert seats.extra_monthly == Decimal("50")
    assert [m.user.email for m in page.context["members"]] == [
        "owner@alpha.test",
        "ann@example.test",
        "bo@example.test",
    ]


def test_seats_are_counted_per_local_day_and_a_removed_seat_stops_the_day_it_ends():
    merchant = MerchantRowFactory(timezone="Asia/Shanghai")
    shanghai_midnight = datetime(2026, 10, 9, 16, 30, tzinfo=UTC)  # 10 Oct 00:30 in Shanghai
    held = Membership.objects.create(merchant=merchant, user=UserFactory(), role="owner")
    Membership.objects.filter(pk=held.pk).update(created_at=datetime(2026, 9, 1, tzinfo=UTC))
    late = Membership.objects.create(merchant=merchant, user=UserFactory(), role="cashier")
    Membership.objects.filter(pk=late.pk).update(created_at=shanghai_midnight)
    FormerSeat.objects.create(
        merchant=merchant,
        email="left@example.test",
        role="cashier",
        started_at=datetime(2026, 9, 20, tzinfo=UTC),
        ended_at=datetime(2026, 10, 5, 3, tzinfo=UTC),  # 5 Oct in Shanghai: 1-4 Oct held
    )

    held = seats_held([merchant], date(2026, 10, 1), date(2026, 10, 31))[merchant.pk]
    daily = held.by_day

    assert daily[:4] == [2, 2, 2, 2]
    assert daily[4:9] == [1] * 5
    assert daily[9:] == [2] * 22
    assert held.current == 2


def test_extra_seats_are_billed_by_the_day_at_the_plans_seat_price():
    plan = PlanFactory(
        monthly_fee=Decimal("0"),
        minimum_commission=Decimal("0"),
        included_seats=1,
        extra_seat_price=Decimal("31"),
    )
    merchant = MerchantRowFactory(timezone="UTC")
    subscribe(merchant, plan, start=date(2026, 9, 1))
    owner = Membership.objects.create(merchant=merchant, user=UserFactory(), role="owner")
    extra = Membership.objects.create(merchant=merchant, user=UserFactory(), role="cashier")
    Membership.objects.filter(pk=owner.pk).update(created_at=datetime(2026, 9, 1, tzinfo=UTC))
    # A second member from 22 October: 10 days of October.
    Membership.objects.filter(pk=extra.pk).update(created_at=datetime(2026, 10, 22, tzinfo=UTC))
    # A third one held 1-5 October, removed on the 6th: 5 days.
    FormerSeat.objects.create(
        merchant=merchant,
        email="temp@example.test",
        role="cashier",
        started_at=datetime(2026, 9, 15, tzinfo=UTC),
        ended_at=datetime(2026, 10, 6, 9, tzinfo=UTC),
    )

    run_billing(2026, 10)

    seat_line = Invoice.objects.get(merchant=merchant).lines.get(kind="seats")
    assert seat_line.quantity == Decimal("15")  # 10 + 5 extra seat-days
    assert seat_line.amount == Decimal("15.00")  # 31 a month / 31 days * 15
    assert "15 seat-days of 31" in seat_line.description


# -- the activity log -----------------------------------------------------------------------


def test_staff_changes_are_logged_centrally_and_reads_or_refused_forms_are_not(shop):
    ann = member(shop, "manager", "ann@example.test")
    ann_client = shop_client(ann.user)

    ann_client.get("/manage/store/")
    ann_client.post("/manage/store/outlets/new/", {"name": "", "address": ""})  # refused
    saved = ann_client.post(
        "/manage/store/outlets/new/",
        {
            "name": "Bund flagship",
            "address": "1 Zhongshan Road",
            "kind": "store",
            "is_active": "on",
            "online_rank": "1",
        },
    )

    assert saved.status_code == 302
    entry = StaffAction.objects.get()
    assert (entry.actor, entry.actor_email, entry.actor_role) == (
        ann.user,
        "ann@example.test",
        "manager",
    )
    assert (entry.action, entry.summary, entry.section) == (
        "manage_outlet_new",
        "Added an outlet",
        "store",
    )
    assert entry.details["name"] == "Bund flagship"
    assert "csrfmiddlewaretoken" not in entry.details
    assert (entry.method, entry.path) == ("POST", "/manage/store/outlets/new/")


def test_the_owner_reads_the_activity_log_and_no_one_else_does(shop, django_assert_max_num_queries):
    ann = member(shop, "manager", "ann@example.test")
    owner = shop_client(shop.owner)
    for n in range(3):
        invite(owner, f"person{n}@example.test")
    for n in range(60):
        StaffAction.objects.create(
            merchant=shop.merchant,
            actor=ann.user,
            actor_email="ann@example.test",
            actor_role="manager",
            section="orders",
            action="manage_order_refund",
            summary="Refunded an order",
            target=f"order_id={n}",
        )

    with django_assert_max_num_queries(12):
        page = owner.get("/manage/settings/activity/")
    only_ann = owner.get("/manage/settings/activity/", {"person": "owner@alpha.test"})

    assert page.status_code == 200
    assert len(page.context["page"].object_list) == 50
    assert page.context["people"] == ["ann@example.test", "owner@alpha.test"]
    assert [e.action for e in only_ann.context["page"]] == ["staff.invited"] * 3
    assert shop_client(ann.user).get("/manage/settings/activity/").status_code == 403


def test_api_writes_are_logged_and_a_refused_api_call_is_not(shop):
    from django.db import connection

    from tests.factories import OutletFactory

    with shop.merchant:
        outlet = OutletFactory(name="Bund")
    connection.set_schema_to_public()
    ann = member(shop, "manager", "ann@example.test")
    cashier = member(shop, "cashier", "cy@example.test")

    refused = shop_client(cashier.user).patch(
        f"/api/v1/outlets/{outlet.pk}/", {"name": "Cashier's"}, content_type="application/json"
    )
    changed = shop_client(ann.user).patch(
        f"/api/v1/outlets/{outlet.pk}/", {"name": "Bund flagship"}, content_type="application/json"
    )

    assert refused.status_code == 403
    assert changed.status_code == 200
    entry = StaffAction.objects.get()
    assert (entry.actor_email, entry.section, entry.method, entry.target) == (
        "ann@example.test",
        "api:outlets",
        "PATCH",
        f"pk={outlet.pk}",
    )


def test_services_record_with_one_call_inside_or_outside_a_request(shop):
    from tenants.activity import record_staff_action

    ann = member(shop, "manager", "ann@example.test")

    by_task = record_staff_action(
        action="stock.counted",
        summary="Nightly stock count corrected 2 variants",
        details={"variants": 2},
        merchant=shop.merchant,
    )
    for_member = record_staff_action(
        action="order.refunded", summary="Refunded 10.00", target="#1001", actor=ann
    )

    assert (by_task.merchant_id, by_task.actor_id, by_task.actor_email) == (
        shop.merchant.pk,
        None,
        "",
    )
    assert (for_member.merchant_id, for_member.actor_id, for_member.actor_role) == (
        shop.merchant.pk,
        ann.user_id,
        "manager",
    )
    with pytest.raises(ValueError):
        record_staff_action(action="x", summary="no shop named")


def test_the_staff_page_costs_the_same_queries_for_many_members(
    shop, django_assert_max_num_queries
):
    for n in range(15):
        member(shop, "cashier", f"c{n}@example.test")
    owner = shop_client(shop.owner)
    for n in range(5):
        invite(owner, f"new{n}@example.test")

    with django_assert_max_num_queries(14):
        page = owner.get("/manage/settings/")

    assert page.status_code == 200
    assert len(page.context["members"]) == 16
    assert len(page.context["invitations"]) == 5


def test_an_invitation_link_works_on_its_own_shop_only(shop, other_shop, mailoutbox):
    invite(shop_client(shop.owner), "mei@example.test")
    deliver_outbox()
    _url, token = link_in(mailoutbox[0])
    form = {"password": TEST_PASSWORD, "password_again": TEST_PASSWORD}

    on_bravo = on_host(Client(), "bravo.localhost").post(f"/accounts/invitations/{token}/", form)
    on_platform = on_host(Client(), "localhost").get(f"/accounts/invitations/{token}/")

    assert on_bravo.status_code == 404
    assert on_platform.status_code == 404
    assert not User.objects.filter(email="mei@example.test").exists()
    assert StaffInvitation.objects.get().accepted_at is None


def test_a_patch_body_with_nul_and_broken_unicode_is_logged_without_them(shop):
    with shop.merchant:
        outlet = OutletFactory(name="Bund")
    connection.set_schema_to_public()
    client = shop_client(shop.owner)

    patched = client.patch(
        f"/api/v1/outlets/{outlet.pk}/",
        "name=Bund%20East&note=a%00b%ED%A0%80c",
        content_type="application/x-www-form-urlencoded",
    )

    assert patched.status_code == 200
    entry = StaffAction.objects.get(method="PATCH")
    assert entry.details["name"] == "Bund East"
    assert "\x00" not in entry.details["note"]
    assert entry.details["note"].startswith("ab")


# -- managers read the staff page, the owner alone changes it --------------------------------

STAFF_ACTIONS = ("invite", "role", "remove", "transfer", "revoke")


def staff_state(merchant) -> tuple:
    """Everything a staff action could change, to compare before and after a refusal."""
    return (
        list(Membership.objects.filter(merchant=merchant).order_by("pk").values()),
        list(StaffInvitation.objects.filter(merchant=merchant).order_by("pk").values()),
        FormerSeat.objects.count(),
        StaffAction.objects.count(),
        OutboxMessage.objects.count(),
    )


def test_a_manager_sees_who_is_on_the_staff_their_roles_activity_invitations_and_seats(shop):
    subscribe(
        shop.merchant,
        PlanFactory(included_seats=2, extra_seat_price=Decimal("50")),
        start=date(2026, 1, 1),
    )
    ann = member(shop, "manager", "ann@example.test")
    member(shop, "cashier", "cy@example.test")
    invite(shop_client(shop.owner), "mei@example.test", "marketing")
    StaffAction.objects.all().delete()  # the invitation's log line: the owner's, not read here
    worked_at = datetime(2026, 3, 4, 5, 6, tzinfo=UTC)
    for minutes in (0, 30):
        StaffAction.objects.create(
            merchant=shop.merchant,
            actor=ann.user,
            actor_email="ann@example.test",
            actor_role="manager",
            action="manage_outlet_new",
            summary="Added an outlet",
            occurred_at=worked_at + timedelta(minutes=minutes),
        )

    page = shop_client(ann.user).get("/manage/settings/")

    assert page.status_code == 200
    assert [(m.user.email, m.role) for m in page.context["members"]] == [
        ("owner@alpha.test", "owner"),
        ("cy@example.test", "cashier"),
        ("ann@example.test", "manager"),
    ]
    last_active = {m.user.email: m.last_active_at for m in page.context["members"]}
    assert last_active == {
        "owner@alpha.test": None,
        "cy@example.test": None,
        "ann@example.test": worked_at + timedelta(minutes=30),
    }
    assert [i.email for i in page.context["invitations"]] == ["mei@example.test"]
    seats = page.context["seats"]
    assert (seats.in_use, seats.terms.included_seats, seats.extra) == (3, 2, 1)
    assert (page.context["can_manage_staff"], page.context["can_read_activity"]) == (False, False)
    html = page.content.decode()
    assert "mei@example.test" in html
    assert '<div class="value" data-testid="seats-in-use">3 / 2</div>' in html
    assert "Only the shop owner can invite, remove or change the role of staff members." in html
    # Read-only: no form posts anywhere, no action button, no link to the owner's log.
    assert "<form" not in html.split('<main class="content">', 1)[1]
    for action in ("Send invitation", "Change role", "Remove from the staff", "Make owner"):
        assert action not in html
    assert "Withdraw" not in html
    assert "/manage/settings/invite/" not in html
    assert "/manage/settings/members/" not in html
    assert "/manage/settings/invitations/" not in html
    assert "/manage/settings/activity/" not in html
    assert 'href="/manage/settings/"' in html  # the sidebar shows the section


def test_the_owner_still_sees_every_action_on_the_staff_page(shop):
    ann = member(shop, "manager", "ann@example.test")
    invite(shop_client(shop.owner), "mei@example.test", "marketing")
    invitation = StaffInvitation.objects.get()

    page = shop_client(shop.owner).get("/manage/settings/")

    html = page.content.decode()
    assert (page.context["can_manage_staff"], page.context["can_read_activity"]) == (True, True)
    assert "Only the shop owner can invite" not in html
    assert 'action="/manage/settings/invite/"' in html
    for action in ("role", "remove", "transfer"):
        assert f'action="/manage/settings/members/{ann.pk}/{action}/"' in html
    assert f'action="/manage/settings/invitations/{invitation.pk}/revoke/"' in html
    assert 'href="/manage/settings/activity/"' in html


@pytest.mark.parametrize("action", STAFF_ACTIONS)
def test_a_manager_posting_a_staff_action_is_refused_and_nothing_changes(shop, mailoutbox, action):
    ann = member(shop, "manager", "ann@example.test")
    cy = member(shop, "cashier", "cy@example.test")
    invite(shop_client(shop.owner), "mei@example.test", "marketing")
    deliver_outbox()
    mailoutbox.clear()
    invitation = StaffInvitation.objects.get()
    url, form = {
        "invite": ("/manage/settings/invite/", {"email": "eve@example.test", "role": "manager"}),
        "role": (f"/manage/settings/members/{cy.pk}/role/", {"role": "manager"}),
        "remove": (f"/manage/settings/members/{cy.pk}/remove/", {}),
        "transfer": (f"/manage/settings/members/{ann.pk}/transfer/", {}),
        "revoke": (f"/manage/settings/invitations/{invitation.pk}/revoke/", {}),
    }[action]
    before = staff_state(shop.merchant)

    response = shop_client(ann.user).post(url, form)

    assert response.status_code == 403
    assert staff_state(shop.merchant) == before
    assert Membership.objects.get(pk=ann.pk).role == "manager"
    assert Membership.objects.get(user=shop.owner).role == "owner"
    assert deliver_outbox() == 0
    assert mailoutbox == []  # no invitation email went out


def test_a_manager_cannot_post_to_the_staff_page_or_read_the_activity_log(shop):
    ann = member(shop, "manager", "ann@example.test")
    manager = shop_client(ann.user)
    before = staff_state(shop.merchant)

    posted = manager.post("/manage/settings/", {"email": "eve@example.test", "role": "owner"})
    log = manager.get("/manage/settings/activity/")

    assert posted.status_code == 405  # the page is read-only for everyone
    assert log.status_code == 403
    assert staff_state(shop.merchant) == before


@pytest.mark.parametrize("role", ["cashier", "marketing"])
def test_cashiers_and_marketing_still_cannot_open_the_staff_page(shop, role):
    person = member(shop, role, f"{role}@example.test")
    client = shop_client(person.user)
    before = staff_state(shop.merchant)

    page = client.get("/manage/settings/")
    posted = client.post("/manage/settings/invite/", {"email": "x@example.test", "role": role})
    home = client.get(f"/manage/{'pos' if role == 'cashier' else 'marketing'}/")

    assert (page.status_code, posted.status_code) == (403, 403)
    assert 'href="/manage/settings/"' not in home.content.decode()
    assert staff_state(shop.merchant) == before


def test_the_staff_services_refuse_anyone_but_the_owner(shop):
    from django.core.exceptions import PermissionDenied, ValidationError

    from tenants import staff

    ann = member(shop, "manager", "ann@example.test")
    cy = member(shop, "cashier", "cy@example.test")
    invite(shop_client(shop.owner), "mei@example.test", "marketing")
    invitation = StaffInvitation.objects.get()
    before = staff_state(shop.merchant)
    calls = [
        lambda: staff.invite_staff(
            merchant=shop.merchant,
            by=ann,
            email="eve@example.test",
            role="manager",
            accept_url=lambda token: f"http://alpha.localhost/{token}/",
        ),
        lambda: staff.change_role(
            merchant=shop.merchant, by=ann, membership_id=cy.pk, role="manager"
        ),
        lambda: staff.remove_member(merchant=shop.merchant, by=ann, membership_id=cy.pk),
        lambda: staff.revoke_invitation(
            merchant=shop.merchant, by=ann, invitation_id=invitation.pk
        ),
    ]

    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    with pytest.raises(ValidationError) as transfer:
        staff.transfer_ownership(merchant=shop.merchant, by=ann, membership_id=ann.pk)

    assert transfer.value.messages == ["Only the owner can transfer ownership."]
    assert staff_state(shop.merchant) == before
