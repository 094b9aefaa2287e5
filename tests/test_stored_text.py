"""Text the platform writes now and someone reads later, in their own language: owners'
billing and community notices, the tasks the platform makes for CSMs, and the plural forms
of the day counts in billing's reminders."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.utils import timezone as django_timezone
from django.utils import translation

from accounts.models import Notification, PlatformRole, User
from billing.reminders import ENDS, RENEWS, send_dunning_reminders, send_renewal_reminders
from community import services as community
from community.models import RequestStatus
from core.stored_text import shown, stored_message
from onboarding import services as onboarding
from onboarding.models import Journey, NpsSurvey, Task, TaskSource, TimelineEntry, TimelineKind
from onboarding.services import start_journey
from outbox.models import OutboxMessage
from tenants.models import Membership, Merchant
from tests.conftest import on_host
from tests.factories import TEST_PASSWORD, PlatformStaffFactory, ShopFactory, UserFactory
from tests.factories_billing import MerchantRowFactory, PlanFactory, failed_invoice, subscribe
from tests.factories_onboarding import make_csm

pytestmark = pytest.mark.django_db


def speaks(user: User, language: str) -> User:
    User.objects.filter(pk=user.pk).update(language=language)
    user.refresh_from_db()
    return user


def shop_language(merchant: Merchant, language: str) -> None:
    Merchant.objects.filter(pk=merchant.pk).update(language=language)
    merchant.refresh_from_db()


def read_by(user: User, notice: Notification) -> str:
    """The notice as its reader's console shows it: in the reader's language."""
    with translation.override(user.email_language):
        return notice.shown_text


# ---------------------------------------------------------------------- billing notices


def test_a_dunning_notice_written_in_english_is_shown_to_a_chinese_owner_in_chinese():
    merchant = MerchantRowFactory(name="Lotus Tea")  # an English shop
    owner = speaks(UserFactory(email="owner@lotus.test"), "zh-hans")
    Membership.objects.create(merchant=merchant, user=owner, role="owner")
    failed_invoice(merchant)

    with translation.override("en"):
        assert send_dunning_reminders() == 1

    notice = Notification.objects.get(recipient=owner)
    assert notice.kind == "billing_dunning"
    assert notice.message == (
        "We could not collect %(total)s %(currency)s for invoice %(number)s. "
        "Please update your card or pay now to keep your shop running."
    )
    assert notice.params == {"total": "88.00", "currency": "CNY", "number": "INV-2026-0042"}
    english = (
        "We could not collect 88.00 CNY for invoice INV-2026-0042. "
        "Please update your card or pay now to keep your shop running."
    )
    chinese = (
        "发票 INV-2026-0042 的 88.00 CNY 未能扣款。请更新银行卡或立即付款，以保持店铺正常运营。"
    )
    # Written in the shop's language; read in the owner's.
    assert notice.text == english
    assert read_by(owner, notice) == chinese
    with translation.override("en"):
        assert notice.shown_text == english
    # The email stays in the shop's language, not the owner's.
    email = OutboxMessage.objects.get(dedupe_key__startswith="billing:dunning:")
    assert email.payload["subject"] == "Payment failed for invoice INV-2026-0042"
    assert email.payload["body"] == english
    assert "发票" not in email.payload["body"]


def _yearly_shop(language: str, owner_language: str):
    merchant = MerchantRowFactory(name="Lotus Tea", timezone="UTC", language=language)
    owner = speaks(UserFactory(email="owner@lotus.test"), owner_language)
    Membership.objects.create(merchant=merchant, user=owner, role="owner")
    start_journey(merchant=merchant, csm=PlatformStaffFactory(email="csm@platform.test"))
    plan = PlanFactory(name="Growth", monthly_fee=Decimal("100"), yearly_fee=Decimal("1000"))
    subscription = subscribe(merchant, plan, start=date(2026, 1, 1), interval="year")
    assert subscription.term_end == date(2026, 12, 31)
    return subscription, owner


def _renewal_sweep(day: date) -> int:
    with time_machine.travel(f"{day.isoformat()} 08:00Z", tick=False):
        return send_renewal_reminders()


def test_a_chinese_shops_renewal_notice_is_shown_in_english_to_an_owner_who_reads_english():
    _subscription, owner = _yearly_shop("zh-hans", "en")

    # A sweep run while Chinese is active: it does not matter either.
    with translation.override("zh-hans"):
        assert _renewal_sweep(date(2026, 12, 24)) == 1

    notice = Notification.objects.get(recipient=owner, kind="billing_renewal")
    assert notice.message == "%(shop)s's %(plan)s plan renews on %(day)s (in %(days)s day)."
    assert notice.params == {
        "shop": "Lotus Tea",
        "plan": "Growth",
        "day": "2027-01-01",
        "days": 7,
        "_plural": {
            "msgid_plural": "%(shop)s's %(plan)s plan renews on %(day)s (in %(days)s days).",
            "number": "days",
        },
    }
    chinese = "Lotus Tea 的 Growth 套餐将于 2027-01-01 续费（还有 7 天）。"
    assert notice.text == chinese  # as written: the shop's language
    assert read_by(owner, notice) == "Lotus Tea's Growth plan renews on 2027-01-01 (in 7 days)."
    with translation.override("zh-hans"):
        assert notice.shown_text == chinese
    email = OutboxMessage.objects.get(dedupe_key__startswith="billing:renewal:")
    assert (email.payload["subject"], email.payload["body"]) == ("套餐续费提醒：还剩 7 天", chinese)


def test_the_owners_renewal_subject_and_notice_say_1_day_and_7_days():
    subscription, owner = _yearly_shop("en", "")
    subscription.auto_renew = False
    subscription.save(update_fields=["auto_renew"])

    assert _renewal_sweep(date(2026, 12, 24)) == 1
    assert _renewal_sweep(date(2026, 12, 30)) == 1

    subjects = list(
        OutboxMessage.objects.filter(dedupe_key__startswith="billing:renewal:")
        .order_by("id")
        .values_list("payload__subject", flat=True)
    )
    assert subjects == ["Your plan renewal: 7 days left", "Your plan renewal: 1 day left"]
    assert "1 days" not in " ".join(subjects)
    seven, one = Notification.objects.filter(recipient=owner).order_by("id")
    assert seven.text == (
        "Lotus Tea's Growth plan ends on 2026-12-31 (in 7 days) and will not renew. "
        "Renew it to keep the shop open."
    )
    assert one.text == (
        "Lotus Tea's Growth plan ends on 2026-12-31 (in 1 day) and will not renew. "
        "Renew it to keep the shop open."
    )
    with translation.override("zh-hans"):
        assert one.shown_text == (
            "Lotus Tea 的 Growth 套餐将于 2026-12-31 结束（还有 1 天），且不会自动续费。"
            "请续费以保持店铺营业。"
        )


def test_a_chinese_shops_renewal_subject_has_its_one_plural_form():
    _yearly_shop("zh-hans", "")

    assert _renewal_sweep(date(2026, 12, 30)) == 1

    email = OutboxMessage.objects.get(dedupe_key__startswith="billing:renewal:")
    assert email.payload["subject"] == "套餐续费提醒：还剩 1 天"
    assert email.payload["body"] == "Lotus Tea 的 Growth 套餐将于 2027-01-01 续费（还有 1 天）。"


def test_plural_messages_pick_their_form_in_each_language_and_need_a_whole_number():
    values = {"shop": "Lotus Tea", "plan": "Growth", "day": "2027-01-01"}
    one = stored_message(RENEWS, days=1, **values)
    seven = stored_message(ENDS, days=7, **values)

    with translation.override("en"):
        assert one.shown() == "Lotus Tea's Growth plan renews on 2027-01-01 (in 1 day)."
        assert seven.shown() == (
            "Lotus Tea's Growth plan ends on 2027-01-01 (in 7 days) and will not renew. "
            "Renew it to keep the shop open."
        )
    with translation.override("zh-hans"):
        assert one.shown() == "Lotus Tea 的 Growth 套餐将于 2027-01-01 续费（还有 1 天）。"
        assert shown(one.message, one.params) == one.shown()
    with pytest.raises(ValueError):
        stored_message(RENEWS, days="7", **values)


def test_notices_stored_before_show_their_text_and_the_old_renewal_message_still_translates():
    owner = speaks(UserFactory(email="owner@lotus.test"), "zh-hans")
    old_text = Notification.objects.create(
        recipient=owner, kind="billing_dunning", text="We could not collect 88.00 CNY."
    )
    old_answer = Notification.objects.create(
        recipient=owner, kind="community_answer", text="您的问题“Labels?”已有回答。"
    )
    # Stored as a message before the plural forms: its msgid is kept in the catalogue.
    old_message = Notification.objects.create(
        recipient=owner,
        kind="billing_renewal",
        text="Lotus Tea's Growth plan renews on 2027-01-01 (in 14 days).",
        message="%(shop)s's %(plan)s plan renews on %(day)s (in %(days)s days).",
        params={"shop": "Lotus Tea", "plan": "Growth", "day": "2027-01-01", "days": 14},
    )

    assert old_text.message == "" and old_text.params == {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            assert old_text.shown_text == "We could not collect 88.00 CNY."
            assert old_answer.shown_text == "您的问题“Labels?”已有回答。"
    assert read_by(owner, old_message) == (
        "Lotus Tea 的 Growth 套餐将于 2027-01-01 续费（还有 14 天）。"
    )


# -------------------------------------------------------------------- community notices


def test_an_answer_notice_is_shown_in_the_askers_language_and_the_email_in_the_shops(make_staff):
    staff = make_staff(PlatformRole.PRODUCT)
    english_shop = ShopFactory(slug="alpha", shop_name="Alpha Tea")
    chinese_shop = ShopFactory(slug="bravo", shop_name="Bravo Noodles")
    shop_language(english_shop.merchant, "en")
    shop_language(chinese_shop.merchant, "zh-hans")
    chinese_owner = speaks(english_shop.owner, "zh-hans")
    english_owner = speaks(chinese_shop.owner, "en")
    asked = [
        community.ask_question(
            merchant=shop.merchant, user=shop.owner, title="Labels?", body="", is_public=False
        )
        for shop in (english_shop, chinese_shop)
    ]

    with translation.override("en"):
        for question in asked:
            community.answer_question(question=question, staff=staff, body="Orders › Print.")

    to_chinese = Notification.objects.get(recipient=chinese_owner, kind="community_answer")
    to_english = Notification.objects.get(recipient=english_owner, kind="community_answer")
    for notice in (to_chinese, to_english):
        assert notice.message == "Your question “%(title)s” has an answer."
        assert notice.params == {"title": "Labels?"}
    assert to_chinese.text == "Your question “Labels?” has an answer."  # the shop's language
    assert read_by(chinese_owner, to_chinese) == "您的问题“Labels?”已有回答。"
    assert to_english.text == "您的问题“Labels?”已有回答。"
    assert read_by(english_owner, to_english) == "Your question “Labels?” has an answer."
    subjects = {
        m.payload["to"][0]: m.payload["subject"]
        for m in OutboxMessage.objects.filter(dedupe_key__startswith="community-answer:")
    }
    assert subjects == {
        chinese_owner.email: "Your question has an answer: Labels?",
        english_owner.email: "您的问题已有回答：Labels?",
    }


def test_a_declined_request_notice_is_shown_in_each_readers_language(make_staff):
    shop = ShopFactory(slug="alpha", shop_name="Alpha Tea")
    shop_language(shop.merchant, "en")
    owner = speaks(shop.owner, "zh-hans")
    csm = speaks(make_csm("csm@platform.test"), "zh-hans")
    Journey.objects.filter(merchant=shop.merchant).update(csm=csm)
    staff = make_staff(PlatformRole.PRODUCT)
    request = community.post_request(
        merchant=shop.merchant, user=owner, title="Label printing", need="Ship faster"
    )

    with translation.override("en"):
        change = community.change_status(
            request=request, to=RequestStatus.DECLINED, actor=staff, reason="Out of scope"
        )

    notices = {n.recipient_id: n for n in Notification.objects.filter(kind="community_request")}
    assert set(notices) == {owner.pk, csm.pk}
    for notice in notices.values():
        assert notice.message == "“%(title)s” is now %(status)s. Why: %(reason)s"
        assert notice.params == {
            "title": "Label printing",
            "status": {"msgid": "Declined"},
            "reason": "Out of scope",
        }
    chinese = "“Label printing”的状态已变为：已拒绝。原因：Out of scope"
    english = "“Label printing” is now Declined. Why: Out of scope"
    assert read_by(owner, notices[owner.pk]) == chinese
    assert read_by(csm, notices[csm.pk]) == chinese
    with translation.override("en"):
        assert notices[owner.pk].shown_text == english
    emails = {
        m.payload["to"][0]: m.payload
        for m in OutboxMessage.objects.filter(
            dedupe_key__startswith=f"community-status:{change.pk}:"
        )
    }
    # The owner's email in the shop's language (English); the CSM's in the CSM's own.
    assert emails[owner.email]["body"].startswith(english + "\n\n")
    assert emails[csm.email]["subject"] == "需求进展：Label printing"
    assert emails[csm.email]["body"].startswith(chinese + "\n\n提出此需求的您负责的商户：Alpha Tea")


def test_a_shipped_request_notice_carries_the_release_note_in_the_readers_language(make_staff):
    shop = ShopFactory(slug="alpha", shop_name="Alpha Tea")
    owner = speaks(shop.owner, "en")
    staff = make_staff(PlatformRole.PRODUCT)
    request = community.post_request(
        merchant=shop.merchant, user=owner, title="Label printing", need="Ship faster"
    )
    note = community.publish_note(
        data=community.NoteInput(
            title="Print shipping labels",
            feature="Print from the order page.",
            scenario="Busy days.",
            caveats="",
            audience="all",
            audience_value="",
            link="",
        ),
        actor=None,
    )
    community.change_status(request=request, to=RequestStatus.PLANNED, actor=staff)
    with translation.override("zh-hans"):
        community.change_status(
            request=request, to=RequestStatus.SHIPPED, actor=staff, release_note=note
        )

    notice = Notification.objects.filter(recipient=owner).order_by("-id").first()
    assert read_by(owner, notice) == (
        "“Label printing” is now Shipped.\n\nPrint shipping labels\n\n"
        "Print from the order page.\n\nWhat it is for: Busy days."
    )
    assert "Watch out for" not in notice.shown_text
    with translation.override("zh-hans"):
        assert notice.shown_text == (
            "“Label printing”的状态已变为：已上线。\n\nPrint shipping labels\n\n"
            "Print from the order page.\n\n适用场景：Busy days."
        )


# ------------------------------------------------------------------------ platform tasks


def signed_in(user: User) -> Client:
    """A browser signed in through the login form: the person's saved language becomes the
    page language (accounts.language.signed_in)."""
    browser = on_host(Client(), "localhost")
    answer = browser.post("/accounts/login/", {"username": user.email, "password": TEST_PASSWORD})
    assert answer.status_code == 302
    return browser


def _merchant_page(user: User, merchant: Merchant) -> str:
    page = signed_in(user).get(f"/console/onboarding/merchants/{merchant.pk}/")
    return page.content.decode()


def _my_day(user: User) -> str:
    return signed_in(user).get("/console/onboarding/").content.decode()


def test_a_detractor_task_is_shown_in_each_csms_language_whatever_the_owners():
    csm = speaks(make_csm("li@platform.test"), "zh-hans")
    colleague = speaks(make_csm("sam@platform.test"), "en")
    shop = ShopFactory(slug="lotus", shop_name="Lotus Tea")
    Journey.objects.filter(merchant=shop.merchant).update(csm=csm)
    survey = NpsSurvey.objects.create(merchant=shop.merchant, wave=0)

    # The owner answers from a Chinese page.
    with translation.override("zh-hans"):
        onboarding.answer_nps(survey=survey, score=4, comment="", user=shop.owner)

    task = Task.objects.get()
    assert (task.source, task.message, task.params) == (
        "nps",
        "Call back a detractor (NPS %(score)s)",
        {"score": 4},
    )
    # Its words in the platform's language, whatever page the owner was on.
    assert task.title == "Call back a detractor (NPS 4)"
    with translation.override("zh-hans"):
        assert task.shown_title == "回访贬损者（NPS 4）"
    with translation.override("en"):
        assert task.shown_title == "Call back a detractor (NPS 4)"
    chinese_page = _merchant_page(csm, shop.merchant)
    english_page = _merchant_page(colleague, shop.merchant)
    assert "回访贬损者（NPS 4）" in chinese_page
    assert "Call back a detractor" not in chinese_page
    assert "Call back a detractor (NPS 4)" in english_page
    assert "回访贬损者" not in english_page
    # Due today: on the CSM's My day too.
    Task.objects.update(due_on=django_timezone.localdate())
    my_day = _my_day(csm)
    assert "Lotus Tea: 回访贬损者（NPS 4）" in my_day
    assert "Call back a detractor" not in my_day


def test_a_typed_task_keeps_its_title_and_an_old_platform_task_is_translated_again():
    csm = speaks(make_csm("li@platform.test"), "zh-hans")
    shop = ShopFactory(slug="lotus", shop_name="Lotus Tea")
    typed = onboarding.create_task(
        merchant=shop.merchant,
        title="Health turned red: find out why",
        assignee=csm,
        due_on=date(2026, 3, 5),
        actor=csm,
    )
    old = Task.objects.create(
        merchant=shop.merchant,
        title="Health turned red: find out why",
        due_on=date(2026, 3, 5),
        source=TaskSource.HEALTH,
        source_key="health:old",
    )

    assert (typed.source, typed.message, typed.params) == ("manual", "", {})
    with translation.override("zh-hans"):
        assert typed.shown_title == "Health turned red: find out why"
        assert old.shown_title == "健康度变红：请查明原因"
    page = _merchant_page(csm, shop.merchant)
    tasks = page[page.index('<table id="tasks">') :]
    tasks = tasks[: tasks.index("</table>")]
    assert tasks.count("<td>Health turned red: find out why</td>") == 1  # the typed one
    assert tasks.count("<td>健康度变红：请查明原因</td>") == 1


def test_completing_a_platform_task_is_written_down_in_the_readers_language():
    csm = speaks(make_csm("li@platform.test"), "zh-hans")
    shop = ShopFactory(slug="lotus", shop_name="Lotus Tea")
    onboarding.create_system_tasks(
        [(shop.merchant.pk, stored_message(onboarding.CALL_BACK_DETRACTOR, score=3), "k", None)],
        TaskSource.NPS,
    )
    typed = onboarding.create_task(
        merchant=shop.merchant,
        title="Ring Mrs Li",
        assignee=csm,
        due_on=date(2026, 3, 5),
        actor=csm,
    )

    with translation.override("en"):
        assert onboarding.complete_task(task=Task.objects.get(source_key="k"), actor=csm)
        assert onboarding.complete_task(task=typed, actor=csm)
        assert not onboarding.complete_task(task=typed, actor=csm)  # once

    done = TimelineEntry.objects.filter(
        merchant=shop.merchant, kind=TimelineKind.TASK, message="Done: %(title)s"
    ).order_by("id")
    assert [entry.detail for entry in done] == [
        "Done: Call back a detractor (NPS 3)",
        "Done: Ring Mrs Li",
    ]
    with translation.override("zh-hans"):
        assert [entry.shown_detail for entry in done] == [
            "已完成：回访贬损者（NPS 3）",
            "已完成：Ring Mrs Li",
        ]


def test_a_system_task_made_while_chinese_is_active_stores_english_words(settings):
    shop = ShopFactory(slug="lotus", shop_name="Lotus Tea")
    assert settings.LANGUAGE_CODE == "en"

    with translation.override("zh-hans"):
        made = onboarding.create_system_tasks(
            [
                (
                    shop.merchant.pk,
                    stored_message(onboarding.CALL_BACK_DETRACTOR, score=2),
                    "k",
                    None,
                )
            ],
            TaskSource.NPS,
            due_on=datetime(2026, 3, 5, tzinfo=UTC).date(),
        )

    assert made == 1
    assert Task.objects.get().title == "Call back a detractor (NPS 2)"


def test_the_admin_lists_a_platform_task_in_the_readers_language():
    admin_user = UserFactory(email="ops@platform.test", is_staff=True, is_superuser=True)
    shop = ShopFactory(slug="lotus", shop_name="Lotus Tea")
    survey = NpsSurvey.objects.create(merchant=shop.merchant, wave=0)
    onboarding.answer_nps(survey=survey, score=4, comment="", user=shop.owner)
    browser = Client()
    browser.force_login(admin_user)

    chinese = browser.get(
        "/admin/onboarding/task/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    english = browser.get("/admin/onboarding/task/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "回访贬损者（NPS 4）" in chinese
    assert "Call back a detractor" not in chinese
    assert "Call back a detractor (NPS 4)" in english
    assert "回访贬损者" not in english
