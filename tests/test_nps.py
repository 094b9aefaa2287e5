"""NPS as the north star: surveys customer success sends within the quota, the email's
one-click answer, the follow-up of each answer, referrals and the lead's team view."""

import re
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client

from accounts.models import Notification
from analytics.metrics import nps_figure
from onboarding import nps
from onboarding.models import (
    Journey,
    Milestone,
    NpsResponse,
    NpsSurvey,
    SignupSource,
    SurveyKind,
    Task,
    TaskSource,
    TimelineEntry,
)
from onboarding.selectors import team_attention
from onboarding.sweep import run_sweep
from outbox.models import OutboxMessage
from tenants.models import Merchant
from tests.conftest import on_host
from tests.factories import ShopFactory
from tests.factories_onboarding import make_csm
from tests.outbox import deliver_outbox

pytestmark = pytest.mark.django_db

# A Wednesday, 10:00 in Shanghai.
WEDNESDAY = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


def logged_in(user, host: str = "localhost") -> Client:
    client = on_host(Client(), host)
    client.force_login(user)
    return client


def survey_link(message) -> str:
    return re.search(r"https?://[^/\s]+(/nps/[^/\s]+/)", message.body).group(1)


def test_nps_is_the_share_of_promoters_minus_the_share_of_detractors():
    scores = [10, 9, 9, 10, 9, 8, 7, 7, 3, 6]

    figure = nps_figure(scores)

    assert (figure.promoters, figure.passives, figure.detractors) == (5, 3, 2)
    assert figure.score == Decimal("30.0")


def test_a_csm_sends_a_survey_once_and_the_quota_refuses_a_second_within_30_days(shop):
    csm = make_csm("csm@platform.test")
    page = f"/console/onboarding/merchants/{shop.merchant.pk}/"

    with time_machine.travel(WEDNESDAY, tick=False):
        first = logged_in(csm).post(f"{page}nps/send/")
    with time_machine.travel(WEDNESDAY + timedelta(days=29), tick=False):
        console = logged_in(csm)
        second = console.post(f"{page}nps/send/")
        shown = console.get(page).content.decode()

    assert first.status_code == 302
    assert second.status_code == 400
    assert "the next one can go on 2027-01-01" in second.content.decode()
    survey = NpsSurvey.objects.get()
    assert (survey.kind, survey.wave, survey.requested_by) == (SurveyKind.MANUAL, None, csm)
    assert 'id="send-survey"' not in shown
    assert "the next survey can go on 2027-01-01" in shown
    invitations = OutboxMessage.objects.filter(dedupe_key__startswith="onboarding:nps:")
    assert invitations.count() == 1
    assert deliver_outbox() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [shop.owner.email]
    assert "/nps/" in mail.outbox[0].body

    with time_machine.travel(WEDNESDAY + timedelta(days=31), tick=False):
        again = logged_in(csm).post(f"{page}nps/send/")
    assert again.status_code == 302
    assert NpsSurvey.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_senders_survey_a_merchant_once():
    shop = ShopFactory(slug="race", shop_name="Race Tea")
    csm = make_csm("csm@platform.test")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def send() -> None:
        barrier.wait()
        try:
            nps.send_nps_survey(merchant=shop.merchant, actor=csm)
            outcomes.append("sent")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["refused", "sent"]
    assert NpsSurvey.objects.filter(merchant=shop.merchant).count() == 1
    assert OutboxMessage.objects.filter(dedupe_key__startswith="onboarding:nps:").count() == 1


def test_the_quarterly_wave_skips_a_merchant_a_csm_surveyed_in_the_last_30_days():
    with time_machine.travel(WEDNESDAY - timedelta(days=40), tick=False):
        surveyed = ShopFactory(slug="surveyed")
        other = ShopFactory(slug="other")
    with time_machine.travel(WEDNESDAY - timedelta(days=5), tick=False):
        nps.send_nps_survey(merchant=surveyed.merchant, actor=None)

    run_sweep(now=WEDNESDAY)

    assert list(
        NpsSurvey.objects.filter(merchant=surveyed.merchant).values_list("kind", flat=True)
    ) == [SurveyKind.MANUAL]
    assert list(NpsSurvey.objects.filter(merchant=other.merchant).values_list("kind", "wave")) == [
        (SurveyKind.WAVE, 0)
    ]


def test_an_owner_answers_from_the_email_link_once_in_the_shops_language(shop):
    shop.merchant.language = "zh-hans"
    shop.merchant.save(update_fields=["language"])
    csm = make_csm("csm@platform.test")
    Journey.objects.filter(merchant=shop.merchant).update(csm=csm)
    with time_machine.travel(WEDNESDAY, tick=False):
        nps.send_nps_survey(merchant=shop.merchant, actor=csm)
    deliver_outbox()
    link = survey_link(mail.outbox[0])
    visitor = on_host(Client(), "localhost")

    with time_machine.travel(WEDNESDAY + timedelta(hours=1), tick=False):
        form = visitor.get(link)
        bad = visitor.post(link, {"score": "11"})
        answered = visitor.post(link, {"score": "3", "comment": "Too slow to set up"})
        replay = visitor.post(link, {"score": "10"})

    assert form.status_code == 200
    assert "您有多大可能向朋友或同事推荐我们？" in form.content.decode()
    assert bad.status_code == 400
    assert 'data-field="score"' in bad.content.decode()
    assert answered.status_code == 200
    assert 'id="nps-thanks"' in answered.content.decode()
    assert 'id="nps-answered"' in replay.content.decode()
    response = NpsResponse.objects.get()
    assert (response.score, response.comment, response.answered_by) == (
        3,
        "Too slow to set up",
        shop.owner,
    )
    task = Task.objects.get(source=TaskSource.NPS)
    # Wednesday + two working days.
    assert (task.assignee, task.due_on) == (csm, date(2026, 12, 4))
    assert on_host(Client(), "localhost").get("/nps/not-a-token/").status_code == 404


def test_a_missed_detractor_call_back_is_reported_to_the_lead_once():
    lead = make_csm("lead@platform.test", takes_merchants=False)
    csm = make_csm("csm@platform.test", manager=lead)
    with time_machine.travel(WEDNESDAY - timedelta(days=40), tick=False):
        shop = ShopFactory(slug="unhappy", shop_name="Unhappy Noodles")
    Journey.objects.filter(merchant=shop.merchant).update(csm=csm)
    with time_machine.travel(WEDNESDAY, tick=False):
        survey = nps.send_nps_survey(merchant=shop.merchant, actor=csm)
        from onboarding.services import answer_nps

        answer_nps(survey=survey, score=2, comment="", user=shop.owner)

    on_time = run_sweep(now=WEDNESDAY + timedelta(days=2))  # Friday: still due today
    late = run_sweep(now=WEDNESDAY + timedelta(days=5))  # Monday: missed
    again = run_sweep(now=WEDNESDAY + timedelta(days=6))

    assert (on_time.detractor_escalations, late.detractor_escalations) == (0, 1)
    assert again.detractor_escalations == 0
    notices = Notification.objects.filter(recipient=lead, kind="nps_escalation")
    assert [n.text for n in notices] == [
        "csm@platform.test has not called back a detractor of Unhappy Noodles (due 2026-12-04)"
    ]
    escalation_emails = OutboxMessage.objects.filter(dedupe_key__startswith="onboarding:nps-esc")
    assert escalation_emails.count() == 1
    assert not Notification.objects.filter(recipient=csm, kind="nps_escalation").exists()


def test_a_missed_call_back_reaches_a_chinese_lead_in_chinese_once():
    from django.utils import translation

    lead = make_csm("lead@platform.test", takes_merchants=False)
    lead.language = "zh-hans"
    lead.save(update_fields=["language"])
    csm = make_csm("csm@platform.test", manager=lead)
    with time_machine.travel(WEDNESDAY - timedelta(days=40), tick=False):
        shop = ShopFactory(slug="unhappy", shop_name="Unhappy Noodles")
    Merchant.objects.filter(pk=shop.merchant.pk).update(language="en")  # the shop's: not used
    Journey.objects.filter(merchant=shop.merchant).update(csm=csm)
    with time_machine.travel(WEDNESDAY, tick=False):
        survey = nps.send_nps_survey(merchant=shop.merchant, actor=csm)
        from onboarding.services import answer_nps

        answer_nps(survey=survey, score=2, comment="", user=shop.owner)
    mail.outbox.clear()

    with translation.override("en"):
        late = run_sweep(now=WEDNESDAY + timedelta(days=5))
        again = run_sweep(now=WEDNESDAY + timedelta(days=6))
    deliver_outbox()

    assert (late.detractor_escalations, again.detractor_escalations) == (1, 0)
    text = "csm@platform.test 尚未回访 Unhappy Noodles 的贬损者（截止 2026-12-04）"
    # The lead's other mail (stuck-stage alerts) is in Chinese too; one escalation among it.
    to_lead = [m for m in mail.outbox if m.to == ["lead@platform.test"]]
    assert to_lead and all("请介入" in m.subject or m.subject == text for m in to_lead)
    escalations = [m for m in to_lead if "尚未回访" in m.subject]
    assert [m.subject for m in escalations] == [text]
    assert escalations[0].body.startswith(f"{text}\n\n打开商户：http")
    notices = Notification.objects.filter(recipient=lead, kind="nps_escalation")
    assert [n.text for n in notices] == [text]
    assert OutboxMessage.objects.filter(dedupe_key__startswith="onboarding:nps-esc").count() == 1
    assert deliver_outbox() == 0  # no second email


def test_a_passive_gets_a_note_and_no_task_nor_email(shop):
    survey = nps.send_nps_survey(merchant=shop.merchant, actor=None)
    from onboarding.services import answer_nps

    answer_nps(survey=survey, score=8, comment="Fine", user=shop.owner)

    assert not Task.objects.exists()
    assert TimelineEntry.objects.filter(
        merchant=shop.merchant, detail__startswith="Passive (NPS 8)"
    ).exists()
    assert not OutboxMessage.objects.filter(dedupe_key__endswith="referral-ask").exists()


def test_a_promoter_is_asked_for_a_referral_once_and_a_signup_from_the_link_records_it(shop):
    shop.merchant.language = "en"
    shop.merchant.save(update_fields=["language"])
    survey = nps.send_nps_survey(merchant=shop.merchant, actor=None)
    from onboarding.services import answer_nps

    answer_nps(survey=survey, score=10, comment="Love it", user=shop.owner)
    with pytest.raises(ValidationError):
        answer_nps(survey=survey, score=10, comment="again", user=shop.owner)
    deliver_outbox()
    asks = [m for m in mail.outbox if "Know a merchant" in m.subject]
    assert len(asks) == 1
    link = re.search(r"https?://[^/\s]+(/signup/\?ref=alpha)", asks[0].body).group(1)

    visitor = on_host(Client(), "localhost")
    form = visitor.get(link)
    assert 'name="ref" value="alpha"' in form.content.decode()
    signed_up = visitor.post(
        "/signup/",
        {
            "shop_name": "Friend Tea",
            "slug": "friend-tea",
            "email": "friend@shop.test",
            "password": "a-long-enough-pass-2026",
            "currency": "CNY",
            "heard_from": "search",
            "ref": "alpha",
        },
    )

    assert signed_up.status_code == 302
    source = SignupSource.objects.get(merchant__slug="friend-tea")
    assert (source.channel, source.referrer) == ("referral", shop.merchant)


def test_a_signup_records_the_channel_and_ignores_an_unknown_referrer():
    visitor = on_host(Client(), "localhost")
    visitor.post(
        "/signup/",
        {
            "shop_name": "Search Tea",
            "slug": "search-tea",
            "email": "search@shop.test",
            "password": "a-long-enough-pass-2026",
            "currency": "CNY",
            "heard_from": "event",
            "ref": "no-such-shop",
        },
    )

    source = SignupSource.objects.get(merchant__slug="search-tea")
    assert (source.channel, source.referrer) == ("event", None)


def test_the_lead_sees_every_behind_and_stuck_stage_of_the_team_by_csm(django_assert_num_queries):
    lead = make_csm("lead@platform.test", takes_merchants=False)
    ana = make_csm("ana@platform.test", manager=lead)
    bo = make_csm("bo@platform.test", manager=lead)
    make_csm("outsider@platform.test")
    with time_machine.travel(WEDNESDAY - timedelta(days=6), tick=False):
        late = ShopFactory(slug="late-shop", shop_name="Late Shop")
        very_late = ShopFactory(slug="very-late", shop_name="Very Late")
    Journey.objects.filter(merchant=late.merchant).update(csm=ana)
    Journey.objects.filter(merchant=very_late.merchant).update(csm=bo)
    Milestone.objects.filter(journey__merchant=late.merchant, stage="first_contact").update(
        due_at=WEDNESDAY - timedelta(days=1)
    )
    Milestone.objects.filter(journey__merchant=very_late.merchant, stage="first_contact").update(
        due_at=WEDNESDAY - timedelta(days=5)
    )

    with django_assert_num_queries(3):
        team = team_attention(lead, now=WEDNESDAY)

    assert [(m.csm.email, m.stuck, m.behind) for m in team] == [
        ("bo@platform.test", 1, 0),
        ("ana@platform.test", 0, 1),
    ]
    with time_machine.travel(WEDNESDAY, tick=False):
        page = logged_in(lead).get("/console/onboarding/").content.decode()
    assert 'id="team-attention"' in page
    assert "Nothing due. Well done!" not in page
    assert "Very Late" in page and "Late Shop" in page


def test_go_live_and_renewal_bring_one_transactional_survey_each_within_the_quota():
    from billing.models import Subscription, SubscriptionEvent

    with time_machine.travel(WEDNESDAY - timedelta(days=200), tick=False):
        live = ShopFactory(slug="live-now")
        renewed = ShopFactory(slug="renewed-now")
        recently_asked = ShopFactory(slug="asked-lately")
    # Wave 1 (day 120) and 2 (day 210) are not due today for shops opened 200 days ago
    # with a journey started then: only the transactional moments count here.
    NpsSurvey.objects.create(
        merchant=live.merchant, kind=SurveyKind.WAVE, wave=1, sent_at=WEDNESDAY - timedelta(50)
    )
    NpsSurvey.objects.create(
        merchant=renewed.merchant, kind=SurveyKind.WAVE, wave=1, sent_at=WEDNESDAY - timedelta(50)
    )
    NpsSurvey.objects.create(
        merchant=recently_asked.merchant,
        kind=SurveyKind.MANUAL,
        sent_at=WEDNESDAY - timedelta(days=10),
    )
    for shop in (live, recently_asked):
        Milestone.objects.filter(journey__merchant=shop.merchant, stage="go_live").update(
            completed_at=WEDNESDAY - timedelta(days=1)
        )
    subscription = Subscription.objects.get(merchant=renewed.merchant)
    SubscriptionEvent.objects.create(
        subscription=subscription,
        merchant=renewed.merchant,
        kind="renewed",
        occurred_on=date(2026, 12, 1),
        mrr_before=0,
        mrr_after=0,
        unique_key="renewed:test",
    )

    first = nps.open_transactional_surveys(WEDNESDAY)
    again = nps.open_transactional_surveys(WEDNESDAY + timedelta(hours=1))

    assert (first, again) == (2, 0)
    kinds = dict(
        NpsSurvey.objects.exclude(kind__in=[SurveyKind.WAVE, SurveyKind.MANUAL]).values_list(
            "merchant__slug", "kind"
        )
    )
    assert kinds == {"live-now": SurveyKind.GO_LIVE, "renewed-now": SurveyKind.RENEWAL}


def test_a_support_answer_brings_one_transactional_survey_within_the_quota(shop):
    from community.services import answer_question, ask_question

    staff = make_csm("support@platform.test")
    first = ask_question(
        merchant=shop.merchant, user=shop.owner, title="Refunds?", body="How?", is_public=False
    )
    second = ask_question(
        merchant=shop.merchant, user=shop.owner, title="Stock?", body="Where?", is_public=False
    )

    answer_question(question=first, staff=staff, body="Like this.")
    answer_question(question=second, staff=staff, body="There.")

    assert list(NpsSurvey.objects.values_list("merchant", "kind")) == [
        (shop.merchant.pk, SurveyKind.SUPPORT)
    ]
    assert OutboxMessage.objects.filter(dedupe_key__startswith="onboarding:nps:").count() == 1
