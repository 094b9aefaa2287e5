"""The 30-day journey: signup, ledger milestones, SLA alerts and their escalation, in time."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from accounts.models import Notification
from analytics.events import (
    CampaignLaunched,
    EventKind,
    FirstInStoreOrder,
    OutletsChanged,
    StoreSetupCompleted,
)
from analytics.ledger import record_event
from onboarding import services
from onboarding.models import (
    Alert,
    Journey,
    Milestone,
    NpsSurvey,
    Stage,
    StageStatus,
    TimelineEntry,
    TimelineKind,
)
from onboarding.sweep import run_sweep as sweep_in_one_transaction
from outbox.models import OutboxMessage
from tests.factories import ShopFactory
from tests.factories_onboarding import go_live, make_csm, set_up_store
from tests.outbox import deliver_outbox

pytestmark = pytest.mark.django_db

DAY0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def at(days: float = 0, hours: float = 0) -> datetime:
    return DAY0 + timedelta(days=days, hours=hours)


def run_sweep(now=None):
    """The sweep, then the outbox delivery its commit wakes: the emails are sent."""
    result = sweep_in_one_transaction(now)
    deliver_outbox()
    return result


def milestones(merchant) -> dict[str, Milestone]:
    return {m.stage: m for m in Milestone.objects.filter(journey__merchant=merchant)}


def contact(journey, csm):
    return services.log_contact(
        journey=journey,
        data=services.ContactInput(
            channel="phone",
            notes="Walked through the set-up checklist.",
            system_contact="Li Wei, 138 0000 0000",
            store_role_owners="Products: Li Wei; till: Zhang Min",
        ),
        actor=csm,
    )


def test_signup_starts_a_journey_with_five_dated_stages_for_the_least_loaded_csm():
    busy = make_csm("busy@platform.test")
    free = make_csm("free@platform.test")
    with time_machine.travel(at(-1), tick=False):
        ShopFactory(slug="older-shop")  # goes to busy (lowest id on a tie)
    with time_machine.travel(DAY0, tick=False):
        shop = ShopFactory(slug="jade-tea", shop_name="Jade Tea")

    journey = Journey.objects.get(merchant=shop.merchant)
    assert Journey.objects.get(merchant__slug="older-shop").csm == busy
    assert journey.csm == free
    assert journey.started_at == DAY0
    dated = {m.stage: (m.opens_at, m.due_at) for m in journey.milestones.all()}
    assert dated == {
        "first_contact": (DAY0, at(hours=48)),
        "store_setup": (at(3), at(7)),
        "training": (at(7), at(14)),
        "go_live": (at(14), at(30)),
        "tiering": (at(30), at(31)),
    }
    assert list(
        TimelineEntry.objects.filter(merchant=shop.merchant)
        .order_by("id")
        .values_list("kind", "detail")
    ) == [("journey_started", ""), ("csm_assigned", "free@platform.test")]
    assert list(Notification.objects.filter(recipient=free).values_list("text", "link")) == [
        ("New merchant to onboard: Jade Tea", f"/console/onboarding/merchants/{shop.merchant.pk}/")
    ]


def test_a_merchant_on_schedule_completes_every_stage_on_time_with_no_alert():
    csm = make_csm("csm@platform.test")
    with time_machine.travel(DAY0, tick=False) as clock:
        shop = ShopFactory(slug="jade-tea", shop_name="Jade Tea")
        merchant = shop.merchant
        journey = Journey.objects.get(merchant=merchant)

        clock.move_to(at(1))
        contact(journey, csm)
        assert milestones(merchant)["first_contact"].status() == StageStatus.DONE

        clock.move_to(at(5))
        set_up_store(merchant)

        clock.move_to(at(8))
        session = services.schedule_training(
            data=services.TrainingInput(title="Your first week", starts_at=at(10), location="Zoom"),
            actor=csm,
        )
        registration = services.register_for_training(
            session=session, merchant=merchant, user=shop.owner
        )
        clock.move_to(at(10, hours=2))
        assert services.mark_attendance(registration=registration, actor=csm) is True

        clock.move_to(at(20))
        go_live(merchant)

        for day in range(0, 32):
            clock.move_to(at(day, hours=3))
            run_sweep()

    done = milestones(merchant)
    assert {stage: m.on_time for stage, m in done.items()} == dict.fromkeys(Stage.values, True)
    assert done["first_contact"].completed_at == at(1)
    assert done["store_setup"].completed_at == at(5)
    assert done["store_setup"].completed_via == "ledger"
    assert done["training"].completed_at == at(10, hours=2)
    assert done["go_live"].completed_at == at(20)
    assert done["go_live"].completed_via == "ledger"
    assert done["tiering"].completed_at == at(30, hours=3)
    journey.refresh_from_db()
    assert journey.completed_at == at(30, hours=3)
    assert (journey.tier, journey.segment) == ("C", "needs_operations")
    assert Alert.objects.count() == 0
    # Going live (day 20) opened the go-live survey and mailed the owner, reminded on day 25;
    # day 30's wave 0 waits out the 30-day quiet period; no alert email went anywhere.
    survey = NpsSurvey.objects.get(merchant=merchant)
    assert (survey.kind, survey.wave, survey.sent_at) == ("go_live", None, at(20, hours=3))
    assert [message.to for message in mail.outbox] == [["owner@jade-tea.test"]] * 2
    assert sorted(
        OutboxMessage.objects.filter(dedupe_key__startswith="onboarding:nps:").values_list(
            "dedupe_key", flat=True
        )
    ) == [f"onboarding:nps:{survey.pk}:reminder", f"onboarding:nps:{survey.pk}:survey"]


def test_a_merchant_never_contacted_alerts_at_24_hours_and_at_breach_exactly_once_each():
    manager = make_csm("lead@platform.test", takes_merchants=False)
    csm = make_csm("csm@platform.test", manager=manager)
    with time_machine.travel(DAY0, tick=False) as clock:
        shop = ShopFactory(slug="quiet-shop", shop_name="Quiet Shop")
        journey = Journey.objects.get(merchant=shop.merchant)
        assert journey.csm == csm  # the lead takes no new merchants
        mail.outbox.clear()

        clock.move_to(
            at(
                hours=23,
            )
        )
        run_sweep()
        assert Alert.objects.count() == 0

        clock.move_to(
            at(
                hours=24,
            )
            + timedelta(minutes=1)
        )
        run_sweep()
        clock.move_to(at(hours=30))
        run_sweep()
        run_sweep()
        assert list(Alert.objects.values_list("stage", "level", "recipient__email")) == [
            ("first_contact", "due_soon", "csm@platform.test")
        ]
        assert [(m.to, m.subject) for m in mail.outbox] == [
            (["csm@platform.test"], "Quiet Shop: First contact is due within 24 hours")
        ]

        clock.move_to(
            at(
                hours=48,
            )
            + timedelta(minutes=1)
        )
        run_sweep()
        clock.move_to(at(hours=60))
        run_sweep()

    assert sorted(Alert.objects.values_list("level", flat=True)) == ["behind", "due_soon"]
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["csm@platform.test"], "Quiet Shop: First contact is due within 24 hours"),
        (["csm@platform.test"], "Quiet Shop: First contact is behind (past its due date)"),
    ]
    assert list(
        Notification.objects.filter(recipient=csm, text__startswith="Quiet Shop").values_list(
            "text", flat=True
        )
    ) == [
        "Quiet Shop: First contact is behind (past its due date)",
        "Quiet Shop: First contact is due within 24 hours",
    ]
    assert not Notification.objects.filter(recipient=manager).exists()
    assert (
        TimelineEntry.objects.filter(merchant=shop.merchant, kind=TimelineKind.ALERT).count() == 2
    )


def test_behind_alerts_the_csm_then_stuck_escalates_to_the_manager_once(settings):
    settings.ONBOARDING_STUCK_AFTER_DAYS = 3
    manager = make_csm("lead@platform.test", takes_merchants=False)
    csm = make_csm("csm@platform.test", manager=manager)
    with time_machine.travel(DAY0, tick=False) as clock:
        shop = ShopFactory(slug="slow-shop", shop_name="Slow Shop")
        journey = Journey.objects.get(merchant=shop.merchant)
        contact(journey, csm)
        mail.outbox.clear()

        clock.move_to(at(6))
        run_sweep()
        assert milestones(shop.merchant)["store_setup"].status() == StageStatus.ON_TRACK
        assert Alert.objects.count() == 0

        clock.move_to(at(7, hours=1))
        run_sweep()
        assert milestones(shop.merchant)["store_setup"].status() == StageStatus.BEHIND
        assert list(Alert.objects.values_list("stage", "level", "recipient__email")) == [
            ("store_setup", "behind", "csm@platform.test")
        ]

        clock.move_to(at(9))
        run_sweep()
        assert Alert.objects.count() == 1

        clock.move_to(at(10, hours=1))
        run_sweep()
        run_sweep()
        assert milestones(shop.merchant)["store_setup"].status() == StageStatus.STUCK

    alerts = list(Alert.objects.order_by("created_at").values_list("level", "recipient__email"))
    assert alerts == [
        ("behind", "csm@platform.test"),
        ("stuck", "lead@platform.test"),
    ]
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["csm@platform.test"], "Slow Shop: Store setup is behind (past its due date)"),
        (["lead@platform.test"], "Slow Shop: Store setup is stuck — please step in"),
    ]
    assert Notification.objects.filter(recipient=manager).count() == 1


def test_a_stuck_stage_without_a_manager_alerts_the_csm():
    csm = make_csm("solo@platform.test")
    with time_machine.travel(DAY0, tick=False) as clock:
        shop = ShopFactory(slug="solo-shop")
        contact(Journey.objects.get(merchant=shop.merchant), csm)
        clock.move_to(at(11))
        run_sweep()
    assert sorted(Alert.objects.values_list("level", "recipient__email")) == [
        ("behind", "solo@platform.test"),
        ("stuck", "solo@platform.test"),
    ]


def test_a_sweep_run_twice_changes_nothing_the_second_time():
    make_csm("csm@platform.test")
    with time_machine.travel(DAY0, tick=False) as clock:
        shop = ShopFactory(slug="twice-shop")
        set_up_store(shop.merchant)
        clock.move_to(at(40))
        first = run_sweep()
        counts = (
            Alert.objects.count(),
            TimelineEntry.objects.count(),
            Notification.objects.count(),
            len(mail.outbox),
            NpsSurvey.objects.count(),
        )
        second = run_sweep()

    assert first.milestones_completed == 1
    assert first.journeys_tiered == 1
    assert first.alerts_raised > 0
    assert (
        second.journeys_created,
        second.milestones_completed,
        second.journeys_tiered,
        second.alerts_raised,
        second.surveys_opened,
        second.alert_emails,
        second.survey_emails,
    ) == (0, 0, 0, 0, 0, 0, 0)
    assert counts == (
        Alert.objects.count(),
        TimelineEntry.objects.count(),
        Notification.objects.count(),
        len(mail.outbox),
        NpsSurvey.objects.count(),
    )


def test_the_sweep_gives_recent_merchants_without_a_journey_one_and_leaves_old_ones(settings):
    settings.ONBOARDING_BACKFILL_DAYS = 30
    csm = make_csm("csm@platform.test")
    with time_machine.travel(at(-40), tick=False):
        old = ShopFactory(slug="old-shop").merchant
    with time_machine.travel(DAY0, tick=False):
        recent = ShopFactory(slug="recent-shop").merchant
    Journey.objects.all().delete()

    with time_machine.travel(at(1), tick=False):
        result = run_sweep()

    assert result.journeys_created == 1
    journey = Journey.objects.get()
    assert (journey.merchant, journey.csm, journey.started_at) == (recent, csm, DAY0)
    assert not Journey.objects.filter(merchant=old).exists()


def test_go_live_needs_both_a_pos_order_and_a_campaign():
    make_csm("csm@platform.test")
    with time_machine.travel(DAY0, tick=False) as clock:
        merchant = ShopFactory(slug="half-live").merchant
        clock.move_to(at(16))
        record_event(
            merchant=merchant,
            event=FirstInStoreOrder(order=1),
            idempotency_key="half-live:first_in_store_order",
        )
        run_sweep()
        assert milestones(merchant)["go_live"].completed_at is None
        clock.move_to(at(18))
        record_event(
            merchant=merchant,
            event=CampaignLaunched(campaign=1),
            idempotency_key="half-live:campaign:1",
        )
        run_sweep()
    assert milestones(merchant)["go_live"].completed_at == at(18)


def test_a_reopened_stage_ignores_ledger_events_from_before_and_a_note_is_required():
    csm = make_csm("csm@platform.test")
    with time_machine.travel(DAY0, tick=False) as clock:
        merchant = ShopFactory(slug="redo-shop").merchant
        clock.move_to(at(4))
        record_event(merchant=merchant, event=StoreSetupCompleted(), idempotency_key="redo:setup")
        run_sweep()
        setup = milestones(merchant)["store_setup"]
        assert setup.completed_at == at(4)

        with pytest.raises(ValidationError) as refused:
            services.reopen_milestone(milestone=setup, actor=csm, note="  ")
        assert refused.value.message_dict == {"note": ["Say why you reopen this stage."]}
        assert milestones(merchant)["store_setup"].completed_at == at(4)

        clock.move_to(at(5))
        services.reopen_milestone(milestone=setup, actor=csm, note="No shipping set really")
        run_sweep()
        assert milestones(merchant)["store_setup"].completed_at is None

        clock.move_to(at(6))
        assert services.complete_milestone(
            milestone=setup, actor=csm, note="Checked on a call: shipping works"
        )
        assert services.complete_milestone(milestone=setup, actor=csm, note="again") is False

    setup = milestones(merchant)["store_setup"]
    assert (setup.completed_at, setup.completed_via, setup.completed_by) == (at(6), "csm", csm)
    kinds = list(
        TimelineEntry.objects.filter(merchant=merchant, stage="store_setup")
        .order_by("at", "id")
        .values_list("kind", "detail")
    )
    assert kinds == [
        ("milestone_done", "From the shop's data"),
        ("milestone_reopened", "No shipping set really"),
        ("milestone_done", "Checked on a call: shipping works"),
    ]


def test_first_contact_needs_the_system_contact_and_role_owners_and_writes_nothing_without():
    csm = make_csm("csm@platform.test")
    merchant = ShopFactory(slug="careful").merchant
    journey = Journey.objects.get(merchant=merchant)

    with pytest.raises(ValidationError) as refused:
        services.log_contact(
            journey=journey,
            data=services.ContactInput(channel="fax", notes=""),
            actor=csm,
        )

    assert refused.value.message_dict == {
        "channel": ["Choose how you reached the merchant."],
        "notes": ["Write what was said."],
        "system_contact": ["Record the merchant's system contact."],
        "store_role_owners": ["Record who owns each store role."],
    }
    assert not journey.contacts.exists()
    assert milestones(merchant)["first_contact"].completed_at is None


def test_the_shop_tells_the_ledger_its_active_store_count_when_it_changes():
    from commerce.store.services import OutletInput, save_outlet

    merchant = ShopFactory(slug="outlets").merchant
    with merchant:
        bund = save_outlet(data=OutletInput(name="Bund", address="1 Bund"))
        save_outlet(data=OutletInput(name="Depot", address="2 Road", kind="warehouse"))
        save_outlet(data=OutletInput(name="Bund", address="1 Bund, 2F"), outlet=bund)
        save_outlet(data=OutletInput(name="Jing'an", address="3 Road"))
        save_outlet(data=OutletInput(name="Bund", address="1 Bund", is_active=False), outlet=bund)

    from analytics.models import MerchantEvent

    counts = [
        OutletsChanged.from_payload(event.payload).active_store_outlets
        for event in MerchantEvent.objects.filter(
            merchant=merchant, kind=EventKind.OUTLETS_CHANGED
        ).order_by("id")
    ]
    assert counts == [1, 2, 1]  # the warehouse and the address change write nothing


def test_alert_emails_are_in_each_csms_language_else_the_platforms_and_go_once():
    from django.utils import translation

    from onboarding.models import Alert
    from onboarding.sweep import send_alert_emails

    chinese = make_csm("li@platform.test")
    chinese.language = "zh-hans"
    chinese.save(update_fields=["language"])
    default = make_csm("csm@platform.test")
    with time_machine.travel(DAY0, tick=False):
        shop = ShopFactory(slug="quiet-shop", shop_name="Quiet Shop")  # a Chinese shop
    journey = Journey.objects.get(merchant=shop.merchant)
    first = Alert.objects.create(
        journey=journey, stage="first_contact", level="due_soon", recipient=chinese
    )
    second = Alert.objects.create(
        journey=journey, stage="store_setup", level="behind", recipient=default
    )
    mail.outbox.clear()

    # Whatever language the sweep runs in, each CSM reads their own (or the default).
    with translation.override("zh-hans"):
        sent = [send_alert_emails(at(1)), send_alert_emails(at(2))]
    deliver_outbox()

    assert sent == [2, 0]
    emails = {m.to[0]: m for m in mail.outbox}
    assert len(mail.outbox) == 2
    assert emails["li@platform.test"].subject == "Quiet Shop：首次联系 将在 24 小时内到期"
    assert emails["li@platform.test"].body.startswith(
        "Quiet Shop：首次联系 将在 24 小时内到期\n\n打开商户：http"
    )
    assert emails["csm@platform.test"].subject == (
        "Quiet Shop: Store setup is behind (past its due date)"
    )
    assert emails["csm@platform.test"].body.startswith(
        "Quiet Shop: Store setup is behind (past its due date)\n\nOpen the merchant: http"
    )
    assert sorted(OutboxMessage.objects.values_list("dedupe_key", flat=True)) == sorted(
        [f"onboarding:alert:{first.pk}", f"onboarding:alert:{second.pk}"]
    )
    assert deliver_outbox() == 0  # no second email
