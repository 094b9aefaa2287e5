"""The merchant community: what's new, questions, feature requests, triage, betas."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import features
from accounts.models import Notification, PlatformRole
from billing.models import Subscription
from community import selectors, services
from community.models import (
    Beta,
    BetaParticipant,
    Comment,
    FeatureRequest,
    Question,
    ReleaseNote,
    RequestStatus,
    Vote,
)
from community.workday import answer_due
from onboarding.models import Journey, NpsResponse, NpsSurvey, TierAssignment
from outbox.models import OutboxMessage
from tests.conftest import on_host
from tests.factories import ShopFactory
from tests.factories_onboarding import make_csm

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def set_tier(merchant, tier: str, segment: str = "active", gmv: str = "0") -> None:
    Journey.objects.filter(merchant=merchant).update(tier=tier, segment=segment)
    TierAssignment.objects.create(
        merchant=merchant,
        tier=tier,
        segment=segment,
        monthly_avg_gmv=Decimal(gmv),
        active_outlets=1,
        period=datetime(2026, 12, 1).date(),
        reason="on_demand",
    )


@pytest.fixture
def product_client(client, make_staff):
    user = make_staff(PlatformRole.PRODUCT)
    client.force_login(user)
    on_host(client, "localhost")
    client.user = user
    return client


def note(**overrides) -> ReleaseNote:
    data = {
        "title": "Threshold discounts",
        "feature": "Spend 100, save 10.",
        "scenario": "Raise the basket size on weekends.",
        "caveats": "Not combinable with group-buy prices.",
        "audience": "all",
        "audience_value": "",
        "link": "/manage/marketing/",
    }
    data.update(overrides)
    return services.publish_note(data=services.NoteInput(**data), actor=None)


# ------------------------------------------------------------------------------ working day


@pytest.mark.parametrize(
    ("asked", "due"),
    [
        ("2026-12-07 08:15", "2026-12-07 10:00"),  # Monday before hours: this morning
        ("2026-12-07 12:00", "2026-12-07 18:00"),  # during the day: its end
        ("2026-12-07 17:30", "2026-12-07 18:00"),  # the last intake still makes today
        ("2026-12-07 17:50", "2026-12-08 10:00"),  # after the last intake: next morning
        ("2026-12-07 23:00", "2026-12-08 10:00"),
        ("2026-12-11 18:30", "2026-12-14 10:00"),  # Friday evening: Monday morning
        ("2026-12-12 11:00", "2026-12-14 10:00"),  # Saturday: Monday morning
    ],
)
def test_a_question_is_due_by_the_next_answer_round(asked, due):
    assert answer_due(local(asked)) == local(due)


def test_a_question_asked_at_1750_is_overdue_at_the_next_mornings_cut_off_and_not_before(shop):
    with time_machine.travel(local("2026-12-07 17:50")):
        question = services.ask_question(
            merchant=shop.merchant,
            user=shop.owner,
            title="How do I print labels?",
            body="",
            is_public=False,
        )
    assert question.due_at == local("2026-12-08 10:00")
    for moment, overdue in (
        ("2026-12-07 18:05", False),  # the evening cut-off passed, but it was not due then
        ("2026-12-08 09:59", False),
        ("2026-12-08 10:01", True),
    ):
        queue = selectors.question_queue(now=local(moment))
        assert ([q.pk for q in queue.overdue], [q.pk for q in queue.due]) == (
            ([question.pk], []) if overdue else ([], [question.pk])
        ), moment


# ------------------------------------------------------------------------------ questions


def test_staff_answer_once_notifies_the_asker_by_email_and_in_the_console(shop, make_staff):
    staff = make_staff(PlatformRole.PRODUCT)
    question = services.ask_question(
        merchant=shop.merchant, user=shop.owner, title="Labels?", body="", is_public=True
    )
    reply = services.answer_question(question=question, staff=staff, body="Orders › Print.")

    question.refresh_from_db()
    assert question.due_at is None and question.answered_at is not None
    emails = OutboxMessage.objects.filter(dedupe_key__startswith="community-answer:")
    assert [(m.dedupe_key, m.payload["to"]) for m in emails] == [
        (f"community-answer:{reply.pk}", [shop.owner.email])
    ]
    assert "Orders › Print." in emails[0].payload["body"]
    notice = Notification.objects.get(recipient=shop.owner)
    assert (notice.kind, notice.link) == (
        "community_answer",
        f"/manage/community/questions/{question.pk}/",
    )
    # The merchant follows up: staff owe an answer again.
    services.follow_up(question=question, user=shop.owner, body="And on A6 paper?")
    question.refresh_from_db()
    assert question.due_at is not None


def test_private_threads_stay_in_their_shop_public_ones_are_read_by_others(
    shop, other_shop, owner_client, make_staff
):
    private = services.ask_question(
        merchant=shop.merchant, user=shop.owner, title="Our secret margin", body="", is_public=False
    )
    public = services.ask_question(
        merchant=shop.merchant, user=shop.owner, title="How to refund", body="", is_public=True
    )
    services.answer_question(question=public, staff=make_staff(PlatformRole.CSM), body="Like so")
    other = owner_client(other_shop.merchant)

    assert other.get(f"/manage/community/questions/{private.pk}/").status_code == 404
    page = other.get("/manage/community/questions/")
    assert "How to refund" in page.text and "Our secret margin" not in page.text
    thread = other.get(f"/manage/community/questions/{public.pk}/")
    assert thread.status_code == 200 and "Like so" in thread.text and "Alpha Tea" not in thread.text
    # Only the asking shop may write in its thread.
    assert (
        other.post(f"/manage/community/questions/{public.pk}/", {"body": "me too"}).status_code
        == 404
    )


def test_a_merchant_asks_through_the_page_and_bad_input_names_the_field(shop, owner_client):
    owner = owner_client(shop.merchant)
    response = owner.post("/manage/community/questions/", {"title": "x" * 201, "body": ""})
    assert response.status_code == 400 and 'data-field="title"' in response.text
    assert not Question.objects.exists()
    response = owner.post(
        "/manage/community/questions/", {"title": "Can I sell gift cards? 🎁", "body": "<b>hi</b>"}
    )
    question = Question.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{question.pk}/")
    assert (question.title, question.is_public, question.asked_by) == (
        "Can I sell gift cards? 🎁",
        False,
        shop.owner,
    )
    assert "&lt;b&gt;hi&lt;/b&gt;" in owner.get(response["Location"]).text


def test_the_question_queue_is_for_product_and_csm_staff(client, make_staff, shop):
    on_host(client, "localhost")
    client.force_login(make_staff(PlatformRole.FINANCE))
    assert client.get("/console/product/questions/").status_code == 403
    client.force_login(make_staff(PlatformRole.CSM))
    assert client.get("/console/product/questions/").status_code == 200
    assert client.get("/console/product/").status_code == 403  # the board is product's


# ------------------------------------------------------------------------------ what's new


def test_a_note_for_tier_ka_reaches_ka_merchants_only_and_the_badge_counts_it(
    shop, other_shop, owner_client
):
    set_tier(shop.merchant, "KA")
    set_tier(other_shop.merchant, "C")
    note(title="For key accounts", audience="tier", audience_value="KA")
    note(title="For everyone")

    ka, c = owner_client(shop.merchant), owner_client(other_shop.merchant)
    assert selectors.unread_count(user=shop.owner, merchant=shop.merchant) == 2
    assert selectors.unread_count(user=other_shop.owner, merchant=other_shop.merchant) == 1
    assert 'id="community-unread"' in ka.get("/manage/").text
    page = ka.get("/manage/community/")
    assert "For key accounts" in page.text and "For everyone" in page.text
    assert 'href="/manage/marketing/"' in page.text
    assert "For key accounts" not in c.get("/manage/community/").text
    # Opening What's new reads them.
    assert selectors.unread_count(user=shop.owner, merchant=shop.merchant) == 0
    assert 'id="community-unread"' not in ka.get("/manage/").text


def test_a_note_audience_must_name_a_real_tier_and_its_link_a_console_path(product_client):
    form = {
        "title": "T",
        "feature": "F",
        "scenario": "S",
        "caveats": "",
        "audience": "tier",
        "audience_value": "XL",
        "link": "https://evil.test/",
    }
    response = product_client.post("/console/product/notes/", form)
    assert response.status_code == 400
    assert 'data-field="audience_value"' in response.text and 'data-field="link"' in response.text
    assert not ReleaseNote.objects.exists()
    form.update(audience_value="SKA", link="/manage/orders/")
    assert product_client.post("/console/product/notes/", form).status_code == 302
    assert ReleaseNote.objects.get().audience_value == "SKA"


# ------------------------------------------------------------------------------ requests


def test_merging_a_duplicate_keeps_every_shops_vote_once(shop, other_shop, make_staff):
    staff = make_staff(PlatformRole.PRODUCT)
    third = ShopFactory(slug="charlie", shop_name="Charlie Cakes")
    original = services.post_request(
        merchant=shop.merchant, user=shop.owner, title="Label printing", need="Ship faster"
    )
    duplicate = services.post_request(
        merchant=other_shop.merchant, user=other_shop.owner, title="Print labels", need="Same"
    )
    services.vote(request=duplicate, merchant=shop.merchant, user=shop.owner)  # voted both
    services.vote(request=duplicate, merchant=third.merchant, user=third.owner)
    services.comment(request=duplicate, user=third.owner, body="Please!", merchant=third.merchant)

    assert services.merge_requests(duplicate=duplicate, into=original, actor=staff) == 2
    assert sorted(
        Vote.objects.filter(request=original).values_list("merchant__slug", flat=True)
    ) == ["alpha", "bravo", "charlie"]
    assert not Vote.objects.filter(request=duplicate).exists()
    assert Comment.objects.filter(request=original, body="Please!").exists()
    assert list(selectors.open_requests().values_list("pk", flat=True)) == [original.pk]
    # A late vote on the duplicate lands on the original.
    fourth = ShopFactory(slug="delta", shop_name="Delta Deli")
    services.vote(request=duplicate, merchant=fourth.merchant, user=fourth.owner)
    assert Vote.objects.filter(request=original).count() == 4
    with pytest.raises(ValidationError):
        services.merge_requests(duplicate=original, into=original, actor=staff)


def test_a_status_change_tells_each_voter_and_their_csm_once(shop, other_shop, make_staff):
    csm = make_csm("csm@platform.test")
    Journey.objects.update(csm=csm)
    staff = make_staff(PlatformRole.PRODUCT)
    request = services.post_request(
        merchant=shop.merchant, user=shop.owner, title="Label printing", need="Ship faster"
    )
    services.vote(request=request, merchant=other_shop.merchant, user=other_shop.owner)

    change = services.change_status(request=request, to=RequestStatus.PLANNED, actor=staff)
    sent = OutboxMessage.objects.filter(dedupe_key__startswith=f"community-status:{change.pk}:")
    assert sorted(m.payload["to"][0] for m in sent) == sorted(
        [shop.owner.email, other_shop.owner.email, csm.email]
    )
    csm_mail = sent.get(payload__to=[csm.email])
    assert "Alpha Tea, Bravo Noodles" in csm_mail.payload["body"]
    # Telling again (a retried task, a double click) sends nothing more.
    services._notify_status_change(FeatureRequest.objects.get(), change)
    assert OutboxMessage.objects.filter(dedupe_key__startswith="community-status:").count() == 3

    with pytest.raises(ValidationError) as refused:
        services.change_status(request=request, to=RequestStatus.DECLINED, actor=staff)
    assert "reason" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.change_status(request=request, to=RequestStatus.SHIPPED, actor=staff)
    assert "release_note" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.change_status(request=request, to=RequestStatus.NEW, actor=staff)
    assert OutboxMessage.objects.filter(dedupe_key__startswith="community-status:").count() == 3


def test_shipping_sends_the_release_note_to_voters_csms_and_nps_commenters(
    shop, other_shop, make_staff
):
    csm = make_csm("csm@platform.test")
    Journey.objects.filter(merchant=other_shop.merchant).update(csm=csm)
    staff = make_staff(PlatformRole.PRODUCT)
    request = services.post_request(
        merchant=shop.merchant, user=shop.owner, title="Label printing", need="Ship faster"
    )
    services.triage(
        request=request,
        data=services.TriageInput("growth_efficiency", 2, "cost_efficiency", 1, 0, "", "label"),
    )
    survey = NpsSurvey.objects.create(merchant=other_shop.merchant, wave=0)
    NpsResponse.objects.create(survey=survey, score=4, comment="Printing LABELS by hand hurts")
    release = note(title="Print shipping labels")
    services.change_status(request=request, to=RequestStatus.PLANNED, actor=staff)
    change = services.change_status(
        request=request, to=RequestStatus.SHIPPED, actor=staff, release_note=release
    )
    sent = {
        m.payload["to"][0]: m
        for m in OutboxMessage.objects.filter(
            dedupe_key__startswith=f"community-status:{change.pk}:"
        )
    }
    assert set(sent) == {shop.owner.email, other_shop.owner.email, csm.email}
    for message in sent.values():
        assert "Print shipping labels" in message.payload["body"]
        assert "Not combinable with group-buy prices." in message.payload["body"]
    assert sent[other_shop.owner.email].dedupe_key.endswith(f":nps:{other_shop.owner.pk}")
    # Before/after NPS of the voters (Alpha voted; its answer comes after shipping).
    survey = NpsSurvey.objects.create(merchant=shop.merchant, wave=0)
    NpsResponse.objects.create(survey=survey, score=10)
    request.refresh_from_db()
    figure = selectors.voters_nps(request)
    assert (figure.before, figure.before_count, figure.after, figure.after_count) == (
        None,
        0,
        100,
        1,
    )


@pytest.mark.parametrize(
    ("user_score", "business_score", "quadrant"),
    [(3, 2, "I"), (2, 0, "II"), (0, 3, "III"), (0, 0, "IV")],
)
def test_triage_places_a_request_in_its_quadrant(shop, user_score, business_score, quadrant):
    request = services.post_request(merchant=shop.merchant, user=shop.owner, title="T", need="N")
    assert request.quadrant == ""
    services.triage(
        request=request,
        data=services.TriageInput(
            "growth_efficiency" if user_score else "",
            user_score,
            "ecosystem" if business_score else "",
            business_score,
            1,
            "",
            "",
        ),
    )
    request.refresh_from_db()
    assert request.quadrant == quadrant
    found = selectors.board_requests(selectors.BoardFilters(quadrant=quadrant))
    assert list(found.values_list("pk", flat=True)) == [request.pk]


def test_a_score_needs_its_classification(shop):
    request = services.post_request(merchant=shop.merchant, user=shop.owner, title="T", need="N")
    with pytest.raises(ValidationError) as refused:
        services.triage(request=request, data=services.TriageInput("", 2, "", 0, 0, "", ""))
    assert list(refused.value.message_dict) == ["user_value"]


def test_demand_weighs_tier_and_gmv_and_counts_at_risk_voters(shop, other_shop):
    set_tier(shop.merchant, "SKA", gmv="250000")
    set_tier(other_shop.merchant, "C")
    NpsResponse.objects.create(
        survey=NpsSurvey.objects.create(merchant=other_shop.merchant, wave=0), score=3
    )
    today = timezone.localdate()
    Subscription.objects.filter(merchant=shop.merchant).update(term_end=today + timedelta(days=200))
    Subscription.objects.filter(merchant=other_shop.merchant).update(
        term_end=today + timedelta(days=200)
    )
    request = services.post_request(merchant=shop.merchant, user=shop.owner, title="T", need="N")
    services.vote(request=request, merchant=other_shop.merchant, user=other_shop.owner)
    demand = selectors.demand_for([request])[request.pk]
    # SKA 8 + 250,000 / 100,000; C 1 + 0. Bravo is a detractor (NPS 3).
    assert (demand.votes, demand.weighted, demand.at_risk) == (2, Decimal("11.50"), 1)
    # Alpha's renewal comes due within 30 days: it is at risk too.
    Subscription.objects.filter(merchant=shop.merchant).update(term_end=today + timedelta(days=10))
    assert selectors.demand_for([request])[request.pk].at_risk == 2


def _seed_requests(count: int) -> None:
    shops = [ShopFactory() for _ in range(3)]
    for shop in shops:
        set_tier(shop.merchant, "KA", gmv="1000")
    for n in range(count):
        request = services.post_request(
            merchant=shops[n % 3].merchant, user=shops[n % 3].owner, title=f"R{n}", need="N"
        )
        services.vote(request=request, merchant=shops[(n + 1) % 3].merchant, user=None)
        if n % 2:
            services.triage(
                request=request,
                data=services.TriageInput("growth_efficiency", 2, "", 0, 1, "", ""),
            )


def test_the_board_is_a_fixed_number_of_queries_whatever_the_number_of_requests(product_client):
    _seed_requests(3)
    with CaptureQueriesContext(connection) as few:
        assert product_client.get("/console/product/").status_code == 200
    _seed_requests(30)
    with CaptureQueriesContext(connection) as many:
        page = product_client.get("/console/product/")
    assert page.status_code == 200 and page.text.count('class="tile"') == 33
    assert len(many) == len(few)
    with CaptureQueriesContext(connection) as csv_queries:
        export = product_client.get("/console/product/board.csv?quadrant=II")
    assert export.status_code == 200
    lines = export.content.decode().splitlines()
    assert lines[0].startswith("id,title,status,quadrant") and len(lines) == 1 + 16
    assert len(csv_queries) < 20


def test_board_filters_refuse_unknown_values_by_name(product_client):
    response = product_client.get("/console/product/?quadrant=V")
    assert response.status_code == 400 and "quadrant" in response.text
    assert product_client.get("/console/product/board.csv?tier=ZZ").status_code == 400


def test_csv_cells_that_look_like_formulas_are_quoted(shop, product_client):
    services.post_request(merchant=shop.merchant, user=shop.owner, title="=HYPERLINK(1)", need="N")
    body = product_client.get("/console/product/board.csv").content.decode()
    assert "'=HYPERLINK(1)" in body


# ------------------------------------------------------------------------------ betas


def beta(**overrides) -> Beta:
    data = {
        "feature": "order-notes",
        "title": "Order notes",
        "plan": "Two weeks",
        "expectations": "Rough edges",
        "audience": "all",
        "audience_value": "",
        "starts_on": datetime(2026, 1, 1).date(),
        "ends_on": datetime(2030, 1, 1).date(),
    }
    data.update(overrides)
    return services.open_beta(data=services.BetaInput(**data), actor=None)


def test_joining_a_beta_switches_its_flag_for_that_merchant_only(shop, other_shop):
    trial = beta()
    assert features.enabled(shop.merchant, "order-notes") is False
    services.join_beta(beta=trial, merchant=shop.merchant, user=shop.owner)
    assert features.enabled(shop.merchant, "order-notes") is True
    assert features.enabled(other_shop.merchant, "order-notes") is False
    services.beta_feedback(beta=trial, merchant=shop.merchant, user=shop.owner, body="Love it")
    with pytest.raises(ValidationError):
        services.beta_feedback(
            beta=trial, merchant=other_shop.merchant, user=other_shop.owner, body="x"
        )
    services.leave_beta(beta=trial, merchant=shop.merchant)
    assert features.enabled(shop.merchant, "order-notes") is False
    assert not BetaParticipant.objects.exists()


def test_a_beta_for_a_tier_refuses_merchants_outside_it(shop, other_shop):
    set_tier(shop.merchant, "KA")
    trial = beta(audience="tier", audience_value="KA")
    with pytest.raises(ValidationError):
        services.join_beta(beta=trial, merchant=other_shop.merchant, user=other_shop.owner)
    assert features.enabled(other_shop.merchant, "order-notes") is False


def test_a_flag_check_is_cached_and_survives_redis_failing(
    shop, django_assert_num_queries, monkeypatch
):
    from django.core.cache import cache
    from redis.exceptions import ConnectionError as RedisConnectionError

    from core import cache_guard

    services.join_beta(beta=beta(), merchant=shop.merchant, user=shop.owner)
    features.enabled(shop.merchant, "order-notes")
    with django_assert_num_queries(0):
        assert features.enabled(shop.merchant, "order-notes") is True

    def down(*args, **kwargs):
        raise RedisConnectionError("down")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    try:
        with django_assert_num_queries(1):
            assert features.enabled(shop.merchant, "order-notes") is True
        assert features.enabled(shop.merchant, "nothing") is False
    finally:
        cache_guard.reset()


def test_the_badge_is_one_query_then_cached_until_a_note_or_a_read_changes_it(
    shop, django_assert_num_queries, django_capture_on_commit_callbacks
):
    note()
    with django_assert_num_queries(1):
        assert selectors.unread_count(user=shop.owner, merchant=shop.merchant) == 1
    assert selectors.cached_unread_count(user=shop.owner, merchant=shop.merchant) == 1
    with django_assert_num_queries(0):
        assert selectors.cached_unread_count(user=shop.owner, merchant=shop.merchant) == 1
    with django_capture_on_commit_callbacks(execute=True):
        note(title="Second")
    assert selectors.cached_unread_count(user=shop.owner, merchant=shop.merchant) == 2
    services.mark_notes_seen(user=shop.owner, merchant=shop.merchant)
    assert selectors.cached_unread_count(user=shop.owner, merchant=shop.merchant) == 0


HOSTILE = ["tea\x00leaf", "1e309", "9" * 40, "-1", "x" * 1_000_000]


def test_the_detail_forms_refuse_hostile_input_naming_the_field_and_write_nothing(
    shop, product_client, owner_client
):
    from community.models import BetaFeedback, Reply, StatusChange

    question = services.ask_question(
        merchant=shop.merchant, user=shop.owner, title="Q", body="", is_public=False
    )
    request = services.post_request(merchant=shop.merchant, user=shop.owner, title="R", need="N")
    trial = beta()
    services.join_beta(beta=trial, merchant=shop.merchant, user=shop.owner)
    owner = owner_client(shop.merchant)
    console = f"/console/product/requests/{request.pk}"
    posts = [
        (product_client, f"/console/product/questions/{question.pk}/", {"body": None}),
        (product_client, f"{console}/comment/", {"body": None}),
        (
            product_client,
            f"{console}/triage/",
            {
                "user_value": "",
                "user_value_score": None,
                "business_value_score": "0",
                "capacity_cost": "0",
            },
        ),
        (product_client, f"{console}/status/", {"status": None, "reason": ""}),
        (product_client, f"{console}/merge/", {"into": None}),
        (owner, f"/manage/community/questions/{question.pk}/", {"body": None}),
        (owner, f"/manage/community/requests/{request.pk}/", {"body": None}),
        (owner, f"/manage/community/betas/{trial.pk}/feedback/", {"body": None}),
    ]

    def counts():
        return (
            Reply.objects.count(),
            Comment.objects.count(),
            StatusChange.objects.count(),
            BetaFeedback.objects.count(),
            FeatureRequest.objects.filter(triaged_at__isnull=False).count(),
            FeatureRequest.objects.filter(merged_into__isnull=False).count(),
        )

    before = counts()
    for client, url, form in posts:
        (field,) = [name for name, value in form.items() if value is None]
        for value in HOSTILE:
            if field == "body" and value in ("1e309", "9" * 40, "-1"):
                continue  # plain text: accepted like any words
            response = client.post(url, {**form, field: value})
            assert response.status_code == 400, (url, field, value[:10])
            assert field in response.content.decode(), (url, field, value[:10])
    assert counts() == before


def test_a_requests_console_page_is_a_fixed_number_of_queries(shop, other_shop, product_client):
    request = services.post_request(merchant=shop.merchant, user=shop.owner, title="R", need="N")
    services.comment(request=request, user=shop.owner, body="a", merchant=shop.merchant)
    with CaptureQueriesContext(connection) as few:
        assert product_client.get(f"/console/product/requests/{request.pk}/").status_code == 200
    services.vote(request=request, merchant=other_shop.merchant, user=other_shop.owner)
    for n in range(5):
        services.comment(
            request=request, user=other_shop.owner, body=f"c{n}", merchant=other_shop.merchant
        )
    with CaptureQueriesContext(connection) as many:
        page = product_client.get(f"/console/product/requests/{request.pk}/")
    assert page.text.count("Bravo Noodles") >= 6
    assert len(many) == len(few)


def test_a_beta_past_its_end_switches_its_flag_off_once(shop, other_shop):
    from community.tasks import end_finished_betas

    running = beta()
    ending = beta(feature="bulk-edit", ends_on=date(2026, 12, 10))
    for merchant, owner in ((shop.merchant, shop.owner), (other_shop.merchant, other_shop.owner)):
        services.join_beta(beta=ending, merchant=merchant, user=owner)
    services.join_beta(beta=running, merchant=shop.merchant, user=shop.owner)
    assert features.enabled(shop.merchant, "bulk-edit") is True  # cached now

    assert services.end_finished_betas(today=date(2026, 12, 10)) == 0
    assert services.end_finished_betas(today=date(2026, 12, 11)) == 2
    assert features.enabled(shop.merchant, "bulk-edit") is False
    assert features.enabled(other_shop.merchant, "bulk-edit") is False
    assert features.enabled(shop.merchant, "order-notes") is True
    assert BetaParticipant.objects.filter(beta=ending).count() == 2  # who took part stays
    with time_machine.travel("2026-12-12 00:00Z"):
        assert end_finished_betas() == 0
