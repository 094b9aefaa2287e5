"""The merchant's group-buy console: a team's members and timeline."""

import pytest
from django.db import connection

from commerce.groupbuy.campaigns import create_campaign
from commerce.groupbuy.models import SeatStatus, Team
from commerce.groupbuy.seat_payments import confirm_seat_payment
from commerce.groupbuy.selectors import team_detail
from commerce.groupbuy.teams import expire_team, leave_team
from commerce.plugins.services import disable_plugin
from tests.test_groupbuy import campaign_input, seat, seed


@pytest.mark.django_db
def test_a_team_page_lists_its_members_and_tells_what_happened_in_order(
    owner_client, django_assert_num_queries
):
    merchant, variant_id = seed()
    with merchant:
        campaign = create_campaign(campaign_input(variant_id, team_size=3))
        leader = seat(campaign, "lead@example.test")
        confirm_seat_payment(leader.pk)
        friend = seat(campaign, "friend@example.test", team=leader.team)
        confirm_seat_payment(friend.pk)
        assert leave_team(leader.pk) == "refunded"
        for email in ("third@example.test", "fourth@example.test"):
            member = seat(campaign, email, team=leader.team)
            confirm_seat_payment(member.pk)
        team_id = leader.team_id

        with django_assert_num_queries(3):
            detail = team_detail(team_id)

        assert [(entry.who, str(entry.what)) for entry in detail.timeline] == [
            ("", "Team opened"),
            ("lead@example.test", "Started the team"),
            ("lead@example.test", "Paid"),
            ("friend@example.test", "Took a seat"),
            ("friend@example.test", "Paid"),
            ("lead@example.test", "Refunded"),
            ("lead@example.test", "Seat given back (order cancelled)"),
            ("lead@example.test", "Left the team"),
            ("friend@example.test", "Took over as leader"),
            ("third@example.test", "Took a seat"),
            ("third@example.test", "Paid"),
            ("fourth@example.test", "Took a seat"),
            ("fourth@example.test", "Paid"),
            ("", "Team succeeded: its orders ship"),
        ]
        assert [(m.email, m.status, m.is_leader) for m in detail.members] == [
            ("lead@example.test", SeatStatus.REFUNDED, False),
            ("friend@example.test", SeatStatus.PAID, True),
            ("third@example.test", SeatStatus.PAID, False),
            ("fourth@example.test", SeatStatus.PAID, False),
        ]
    connection.set_schema_to_public()

    page = owner_client(merchant).get(f"/manage/marketing/groupbuy/teams/{team_id}/")
    campaign_page = owner_client(merchant).get(f"/manage/marketing/groupbuy/{campaign.pk}/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "3 paid, 3 held of 3 seats" in html
    assert f'href="/manage/orders/{friend.order_id}/"' in html
    assert html.index("Left the team") < html.index("Took over as leader")
    assert f'href="/manage/marketing/groupbuy/teams/{team_id}/"' in campaign_page.content.decode()
    assert (
        '<p class="muted" id="campaign-limits">A shopper may lead 1 open team · '
        "1 unit per member</p>" in campaign_page.content.decode()
    )


@pytest.mark.django_db
def test_a_virtually_filled_team_says_so_and_lists_only_real_members(owner_client):
    from datetime import timedelta

    from django.utils import timezone

    merchant, variant_id = seed()
    with merchant:
        campaign = create_campaign(
            campaign_input(variant_id, team_size=3, virtual_fill_max_missing=2)
        )
        leader = seat(campaign, "lead@example.test")
        confirm_seat_payment(leader.pk)
        Team.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        assert expire_team(leader.team_id) == "virtually_filled"

        detail = team_detail(leader.team_id)

        assert [m.email for m in detail.members] == ["lead@example.test"]
        assert detail.virtual_members == 2
        assert [str(entry.what) for entry in detail.timeline][-2:] == [
            "2 virtual members filled the last seats",
            "Team succeeded: its orders ship",
        ]
    connection.set_schema_to_public()
    html = owner_client(merchant).get(f"/manage/marketing/groupbuy/teams/{leader.team_id}/")
    assert "2 virtual members (no orders, no GMV)" in html.content.decode()


@pytest.mark.django_db
def test_a_team_page_answers_404_for_an_unknown_team_and_while_the_plugin_is_off(owner_client):
    merchant, variant_id = seed()
    with merchant:
        campaign = create_campaign(campaign_input(variant_id))
        team_id = seat(campaign, "lead@example.test").team_id
    connection.set_schema_to_public()
    owner = owner_client(merchant)

    assert owner.get(f"/manage/marketing/groupbuy/teams/{team_id + 1}/").status_code == 404
    with merchant:
        disable_plugin("groupbuy", actor="test")
    connection.set_schema_to_public()
    assert owner.get(f"/manage/marketing/groupbuy/teams/{team_id}/").status_code == 404
