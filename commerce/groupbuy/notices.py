"""Group-buy notices: one row per member and kind (seat paid, team succeeded, refunded),
written in the business transaction; a per-shop run turns them into emails in the outbox.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from commerce.groupbuy.models import GroupBuyNotice, NoticeKind, Team, TeamMember
from commerce.groupbuy.scheduling import allow_next_notice_run, send_notices_soon
from commerce.orders.models import Order, PaymentStatus
from commerce.store.selectors import store_settings
from outbox import services as outbox
from tenants.hosts import shop_url


def notify_member(member: TeamMember, kind: str, *, seats_missing: int | None = None) -> None:
    """Email the member once for `kind`: the notice row (unique on member and kind) is
    written in the caller's transaction; after the commit a task sends the email, off the
    request and out of the team's lock. Virtual members and members without an email get
    none."""
    if member.is_virtual or not member.email:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO groupbuy_groupbuynotice (member_id, kind, seats_missing, created_at)
            VALUES (%s, %s, %s, now())
            ON CONFLICT (member_id, kind) DO NOTHING
            RETURNING id
            """,
            [member.pk, kind, seats_missing],
        )
        if cursor.fetchone() is not None:
            send_notices_soon()


# Unsent notices claimed by one statement (SKIP LOCKED: two runs never claim the same row).
_CLAIM_NOTICES_SQL = """
    UPDATE groupbuy_groupbuynotice SET sent_at = now()
    WHERE id IN (
        SELECT id FROM groupbuy_groupbuynotice WHERE sent_at IS NULL
        ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED
    )
    RETURNING id
"""


def send_notices(*, batch_size: int = 500) -> int:
    """Write the shop's unsent notices' emails into the outbox (the task's work): each
    notice is claimed and its email enqueued in one transaction (dedupe key per notice), so
    two runs or a rerun never write it twice; the outbox sends it after the commit and
    retries while the mail server is down. Returns the number of emails enqueued."""
    # Cleared first: a notice committed from now on queues a run of its own.
    allow_next_notice_run()
    enqueued = 0
    while True:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(_CLAIM_NOTICES_SQL, [batch_size])
                claimed = [notice_id for (notice_id,) in cursor.fetchall()]
            if not claimed:
                return enqueued
            notices = GroupBuyNotice.objects.select_related(
                "member__order", "member__team__campaign__variant__product"
            ).filter(pk__in=claimed)
            emails = []
            for notice in sorted(notices, key=lambda notice: notice.pk):
                member = notice.member
                subject, body = _notice_text(
                    notice.kind, member.team, member.order, seats_missing=notice.seats_missing
                )
                emails.append(
                    outbox.email(
                        to=[member.email],
                        subject=subject,
                        body=body,
                        dedupe_key=f"{connection.schema_name}:groupbuy:notice:{notice.pk}",
                        merchant_id=connection.tenant.pk,
                    )
                )
            enqueued += outbox.enqueue_emails(emails)
        if len(claimed) < batch_size:
            return enqueued


def _notice_text(
    kind: str, team: Team, order: Order, *, seats_missing: int | None = None
) -> tuple[str, str]:
    product = team.campaign.variant.product.title
    shop = store_settings().display_name
    values = {"product": product, "shop": shop, "reference": order.number}
    if kind in (NoticeKind.SEAT_PAID, NoticeKind.SEAT_HELD):
        values.update(
            link=shop_url(
                None, connection.tenant, reverse("groupbuy_team", args=[team.share_token])
            ),
            # As it was when the seat was paid (the email is written after the commit).
            missing=team.size - team.seats_paid if seats_missing is None else seats_missing,
            closes=timezone.localtime(team.expires_at).strftime("%Y-%m-%d %H:%M %Z"),
            amount=f"{order.total} {order.currency}",
            method=order.get_payment_method_display(),
        )
        if kind == NoticeKind.SEAT_HELD:
            return (
                _("Your group-buy seat for %(product)s is held") % values,
                _(
                    "Your seat in the %(product)s team at %(shop)s is held (order "
                    "%(reference)s). Nothing to pay now: you pay %(amount)s (%(method)s) "
                    "once the team is complete.\n\n"
                    "The team needs %(missing)s more members before %(closes)s. Send this "
                    "link to friends:\n%(link)s\n\n"
                    "If the team does not fill in time, your order is cancelled and there "
                    "is nothing to pay."
                )
                % values,
            )
        return (
            _("Your group-buy seat for %(product)s is paid") % values,
            _(
                "Thank you: your seat in the %(product)s team at %(shop)s is paid "
                "(order %(reference)s).\n\n"
                "The team needs %(missing)s more paid members before %(closes)s. Send this "
                "link to friends:\n%(link)s\n\n"
                "If the team does not fill in time, your payment is refunded."
            )
            % values,
        )
    if kind == NoticeKind.TEAM_SUCCEEDED:
        body = (
            _(
                "Good news: your %(product)s team at %(shop)s is complete. Your order "
                "%(reference)s is now being prepared and will ship (or be ready for pickup) "
                "soon."
            )
            % values
        )
        if order.payment_status == PaymentStatus.PENDING:
            body += " " + _("You pay %(amount)s (%(method)s) when you receive it.") % {
                "amount": f"{order.total} {order.currency}",
                "method": order.get_payment_method_display(),
            }
        return (_("Your group-buy team for %(product)s is complete") % values, body)
    values["amount"] = f"{order.total} {order.currency}"
    if kind == NoticeKind.SEAT_CANCELLED:
        return (
            _("Your group-buy order for %(product)s is cancelled") % values,
            _(
                "Your seat in the %(product)s team at %(shop)s was given up (the team did "
                "not fill, the campaign ended, or you left it). Your order %(reference)s is "
                "cancelled: there is nothing to pay."
            )
            % values,
        )
    return (
        _("Your group-buy payment for %(product)s is refunded") % values,
        _(
            "Your seat in the %(product)s team at %(shop)s was given up (the team did not "
            "fill, the campaign ended, or you left it). Your payment of %(amount)s for order "
            "%(reference)s is refunded."
        )
        % values,
    )
