import gettext
import re
from pathlib import Path

import pytest
from django.test import Client

from devstack.translate import fill, unquote
from tests.conftest import on_host

LOCALE = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES"


@pytest.mark.django_db
def test_switching_to_chinese_translates_the_public_site():
    visitor = on_host(Client(), "localhost")

    switched = visitor.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    page = visitor.get("/").content.decode()

    assert switched.status_code == 302
    assert "一分钟开通您的网店" in page
    assert "Open your online shop in a minute" not in page


@pytest.mark.django_db
def test_a_shop_owner_works_in_chinese(shop):
    owner = on_host(Client(), "alpha.localhost")
    owner.force_login(shop.owner)
    owner.post("/i18n/setlang/", {"language": "zh-hans", "next": "/manage/"})

    page = owner.get("/manage/").content.decode()

    for label in ("商品", "订单", "营销", "数据", "账单", "设置", "门店收银"):
        assert f">{label}</a>" in page
    assert "欢迎来到 Alpha Tea" in page


def test_every_string_in_the_catalog_is_translated_and_compiled():
    po = (LOCALE / "django.po").read_text(encoding="utf-8")
    pairs = re.findall(
        r'^msgid ((?:".*"\n)+)(?:msgid_plural (?:".*"\n)+)?msgstr(?:\[0\])? ((?:".*"\n?)+)',
        po,
        re.M,
    )
    with (LOCALE / "django.mo").open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)

    translated = {unquote(msgid): unquote(msgstr) for msgid, msgstr in pairs if unquote(msgid)}
    untranslated = sorted(msgid for msgid, msgstr in translated.items() if not msgstr.strip())

    assert len(translated) > 200
    assert untranslated == []
    assert "#, fuzzy" not in po
    assert catalog.gettext("Products") == translated["Products"] == "商品"


def test_messages_stored_with_plural_forms_are_compiled_with_their_chinese_form():
    """`plural_noop` marks them (accounts' makemessages adds the keyword): a missing entry
    would fall back to the English singular and plural, which differ."""
    from billing.reminders import ENDS, RENEWS

    with (LOCALE / "django.mo").open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)

    values = {"shop": "Lotus Tea", "plan": "Growth", "day": "2027-01-01"}
    assert catalog.ngettext(RENEWS.singular, RENEWS.plural, 1) % {**values, "days": 1} == (
        "Lotus Tea 的 Growth 套餐将于 2027-01-01 续费（还有 1 天）。"
    )
    assert catalog.ngettext(RENEWS.singular, RENEWS.plural, 7) % {**values, "days": 7} == (
        "Lotus Tea 的 Growth 套餐将于 2027-01-01 续费（还有 7 天）。"
    )
    assert catalog.ngettext(ENDS.singular, ENDS.plural, 1) == catalog.ngettext(
        ENDS.singular, ENDS.plural, 7
    )
    assert "Renew it" not in catalog.ngettext(ENDS.singular, ENDS.plural, 7)


def test_filling_the_catalog_keeps_a_wrapped_plural_translation_and_fills_an_empty_one():
    wrapped = (
        'msgid "in %(days)s day"\nmsgid_plural "in %(days)s days"\n'
        'msgstr[0] ""\n"还有 %(days)s "\n"天"'
    )
    empty = 'msgid "%(n)s seat"\nmsgid_plural "%(n)s seats"\nmsgstr[0] ""\nmsgstr[1] ""'
    filled, missing = fill(
        f"{wrapped}\n\n{empty}",
        {"in %(days)s day": "新的译文", "%(n)s seat": "%(n)s 个席位"},
    )
    assert filled == (
        f'{wrapped}\n\nmsgid "%(n)s seat"\nmsgid_plural "%(n)s seats"\nmsgstr[0] "%(n)s 个席位"'
    )
    assert missing == []
    assert fill(empty, {})[1] == ["%(n)s seat"]
