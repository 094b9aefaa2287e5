"""A person's own language: saved on their profile (platform staff and shop staff), the
page language after they sign in, the switcher still theirs to use; and the console
notices and timeline entries the sweeps write, shown in the reader's language."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import translation

from accounts.models import Notification, PlatformRole, User
from onboarding.models import TimelineEntry, TimelineKind
from onboarding.sweep import complete_from_ledger, raise_alerts
from tenants.services import add_member
from tests.conftest import on_host
from tests.factories import TEST_PASSWORD, PlatformStaffFactory, ShopFactory, UserFactory
from tests.factories_onboarding import make_csm, set_up_store

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME
DAY0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def sign_in(client: Client, email: str):
    return client.post("/accounts/login/", {"username": email, "password": TEST_PASSWORD})


def test_a_csm_saves_chinese_and_after_signing_out_and_in_the_console_is_chinese():
    csm = make_csm("li@platform.test")
    browser = on_host(Client(), "localhost")
    sign_in(browser, csm.email)

    saved = browser.post("/accounts/profile/", {"language": "zh-hans"})

    assert (saved.status_code, saved["Location"]) == (302, "/accounts/profile/")
    assert saved.cookies[COOKIE].value == "zh-hans"
    csm.refresh_from_db()
    assert csm.language == "zh-hans"
    assert "个人资料已保存。" in browser.get("/accounts/profile/").content.decode()

    browser.post("/accounts/logout/")
    # A new browser (no language cookie) asking for English: the saved language wins.
    fresh = on_host(Client(HTTP_ACCEPT_LANGUAGE="en"), "localhost")
    signed_in = sign_in(fresh, csm.email)

    assert (signed_in.status_code, signed_in["Location"]) == (302, "/console/")
    assert signed_in.cookies[COOKIE].value == "zh-hans"
    page = fresh.get("/console/", follow=True).content.decode()
    assert '<html lang="zh-hans">' in page
    assert "平台控制台" in page
    assert "Platform console" not in page


def test_the_switcher_still_changes_the_language_after_signing_in():
    csm = make_csm("li@platform.test")
    User.objects.filter(pk=csm.pk).update(language="zh-hans")
    browser = on_host(Client(), "localhost")
    sign_in(browser, csm.email)
    assert '<html lang="zh-hans">' in browser.get("/console/", follow=True).content.decode()

    switched = browser.post("/i18n/setlang/", {"language": "en", "next": "/console/"})

    assert switched.cookies[COOKIE].value == "en"
    page = browser.get("/console/", follow=True).content.decode()
    assert '<html lang="en">' in page
    assert "Platform console" in page
    # The switcher changes the page language only, not the saved one.
    csm.refresh_from_db()
    assert csm.language == "zh-hans"


def test_signing_in_without_a_saved_language_keeps_the_browsers_choice():
    csm = make_csm("li@platform.test")
    assert csm.language == ""
    browser = on_host(Client(HTTP_ACCEPT_LANGUAGE="zh-hans"), "localhost")

    signed_in = sign_in(browser, csm.email)

    assert signed_in.status_code == 302
    assert COOKIE not in signed_in.cookies  # nothing forced on the browser
    assert '<html lang="zh-hans">' in browser.get("/console/", follow=True).content.decode()


@pytest.mark.parametrize("language", ["fr", "zh-hant", "", "EN", "zh-hans ", "x" * 100_000])
def test_an_unknown_language_is_a_400_naming_the_field_and_saves_nothing(language):
    csm = make_csm("li@platform.test")
    browser = on_host(Client(), "localhost")
    browser.force_login(csm)

    answer = browser.post("/accounts/profile/", {"language": language})

    assert answer.status_code == 400
    assert list(answer.context["form"].errors) == ["language"]
    assert 'aria-invalid="true"' in answer.content.decode()
    assert COOKIE not in answer.cookies
    csm.refresh_from_db()
    assert csm.language == ""


def test_a_control_character_in_the_language_is_a_400_naming_it_and_saves_nothing():
    csm = make_csm("li@platform.test")
    browser = on_host(Client(), "localhost")
    browser.force_login(csm)

    answer = browser.post("/accounts/profile/", {"language": "zh-hans\x00"})

    assert answer.status_code == 400
    assert "language" in answer.content.decode()
    csm.refresh_from_db()
    assert csm.language == ""


def test_the_profile_page_needs_a_signed_in_person():
    anonymous = on_host(Client(), "localhost")

    answer = anonymous.post("/accounts/profile/", {"language": "zh-hans"})

    assert answer.status_code == 302
    assert answer["Location"].startswith("/accounts/login/")


def test_shop_staff_save_their_language_on_their_shops_host_and_sign_in_to_it():
    shop = ShopFactory(slug="alpha", shop_name="Alpha Tea")
    cashier = UserFactory(email="cashier@alpha.test")
    add_member(merchant=shop.merchant, user=cashier, role="cashier")
    browser = on_host(Client(HTTP_ACCEPT_LANGUAGE="en"), "alpha.localhost")
    sign_in(browser, cashier.email)

    profile = browser.get("/accounts/profile/").content.decode()
    saved = browser.post("/accounts/profile/", {"language": "zh-hans"})

    assert 'name="language"' in profile and "简体中文" in profile
    assert saved.status_code == 302
    cashier.refresh_from_db()
    assert cashier.language == "zh-hans"
    fresh = on_host(Client(HTTP_ACCEPT_LANGUAGE="en"), "alpha.localhost")
    assert sign_in(fresh, cashier.email).cookies[COOKIE].value == "zh-hans"
    till = fresh.get("/manage/pos/", follow=True)
    assert till.status_code == 200
    assert '<html lang="zh-hans">' in till.content.decode()


def test_every_page_links_to_the_profile():
    owner_page = on_host(Client(), "localhost")
    owner_page.force_login(PlatformStaffFactory(platform_roles=[PlatformRole.FINANCE]))

    page = owner_page.get("/console/", follow=True).content.decode()

    assert 'id="profile-link" href="/accounts/profile/"' in page


# ------------------------------------------------------------------ notices and timeline


def _csm_with_a_behind_alert(language: str):
    """A CSM (with `language`), a shop of theirs, and the sweep (run in English) finding
    its first contact behind: the notice and the timeline entry it writes."""
    csm = make_csm("li@platform.test")
    User.objects.filter(pk=csm.pk).update(language=language)
    with time_machine.travel(DAY0, tick=False):
        shop = ShopFactory(slug="lotus", shop_name="Lotus Tea")
    with translation.override("en"):
        assert raise_alerts(DAY0 + timedelta(days=3)) == 1
    return csm, shop


def test_a_csms_alert_notice_is_shown_in_the_csms_language_whatever_the_sweeps():
    csm, _shop = _csm_with_a_behind_alert("zh-hans")
    notice = Notification.objects.get(recipient=csm, kind="onboarding_alert")
    browser = on_host(Client(), "localhost")
    sign_in(browser, csm.email)

    notices = browser.get("/console/onboarding/notifications/").content.decode()
    my_day = browser.get("/console/onboarding/").content.decode()

    assert notice.message == "%(merchant)s: %(stage)s is behind (past its due date)"
    assert notice.params == {"merchant": "Lotus Tea", "stage": {"msgid": "First contact"}}
    assert "Lotus Tea：首次联系 已落后（超过截止日期）" in notices
    assert "新商户待上手：Lotus Tea" in notices  # the journey's own notice too
    assert "Lotus Tea：首次联系 已落后（超过截止日期）" in my_day
    assert "is behind" not in notices + my_day
    # The same row read in English by someone whose pages are English.
    with translation.override("en"):
        assert notice.shown_text == "Lotus Tea: First contact is behind (past its due date)"


def test_the_sweeps_timeline_entries_are_shown_in_the_readers_language():
    csm, shop = _csm_with_a_behind_alert("")
    with time_machine.travel(DAY0 + timedelta(days=4), tick=False):
        set_up_store(shop.merchant)
    with translation.override("en"):
        assert complete_from_ledger(DAY0 + timedelta(days=5)) == 1
    # Rows written before messages were stored: a fixed system text is translated again; a
    # person's own words never are.
    TimelineEntry.objects.create(
        merchant=shop.merchant, kind=TimelineKind.HEALTH, detail="Health turned red"
    )
    TimelineEntry.objects.create(
        merchant=shop.merchant, kind=TimelineKind.NOTE, detail="Health turned red", actor=csm
    )
    lead = make_csm("lead@platform.test")
    browser = on_host(Client(HTTP_ACCEPT_LANGUAGE="zh-hans"), "localhost")
    browser.force_login(lead)

    page = browser.get(f"/console/onboarding/merchants/{shop.merchant.pk}/").content.decode()

    assert "Lotus Tea：首次联系 已落后（超过截止日期）" in page
    assert "来自店铺数据" in page
    assert "健康度变红" in page
    assert page.count("Health turned red") == 1  # the CSM's note, as they wrote it
    assert "From the shop's data" not in page


def test_a_notice_written_before_messages_were_stored_shows_its_text():
    csm = make_csm("li@platform.test")
    old = Notification.objects.create(recipient=csm, text="Lotus Tea: First contact is behind")

    with translation.override("zh-hans"):
        assert old.shown_text == "Lotus Tea: First contact is behind"
    browser = on_host(Client(HTTP_ACCEPT_LANGUAGE="zh-hans"), "localhost")
    browser.force_login(csm)
    page = browser.get("/console/onboarding/notifications/").content.decode()
    assert "Lotus Tea: First contact is behind" in page
