"""Login throttling (django-axes) counts every spelling of an address as one username, on the
platform host and on shop hosts alike, because the backend logs all of them in as one user."""

import pytest
from axes.models import AccessAttempt
from django.test import Client

from accounts.identity import canonical_email
from tests.conftest import on_host

pytestmark = pytest.mark.django_db

# Eight spellings of owner@alpha.test that the login form accepts.
SPELLINGS = [
    "  owner@alpha.test  ",
    "OWNER@alpha.test",
    "Owner@Alpha.Test",
    "oWnEr@aLpHa.tEsT",
    "OWNER@ALPHA.TEST",
    "owner@ＡＬＰＨＡ.test",  # full-width letters (NFKC)
    "owner@alpha.teſt",  # LATIN SMALL LETTER LONG S (case folding)
    "\towner@alpha.test\n",
]
HOSTS = {"platform": ("localhost", "/shops/"), "shop": ("alpha.localhost", "/manage/")}
WRONG_LOGIN = "Please enter a correct email address and password."


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("  Victim@X.Test ", "victim@x.test"),
        ("VICTIM@x.test", "victim@x.test"),
        ("victim@ｘ.test", "victim@x.test"),
        ("victim@\u212aite.test", "victim@kite.test"),  # KELVIN SIGN
        ("victim@x.teſt", "victim@x.test"),
        ("victim@STRASSE.test", "victim@strasse.test"),
        ("victim@straße.test", "victim@strasse.test"),
        ("", ""),
        (None, ""),
    ],
)
def test_canonical_email_folds_case_spaces_and_unicode_forms(raw, canonical):
    assert canonical_email(raw) == canonical


@pytest.mark.parametrize("host", HOSTS)
def test_every_spelling_logs_the_same_account_in(shop, password, host):
    hostname, landing = HOSTS[host]
    for spelling in SPELLINGS:
        browser = on_host(Client(), hostname)

        response = browser.post("/accounts/login/", {"username": spelling, "password": password})

        assert response.status_code == 302, spelling
        assert response["Location"] == landing
        assert browser.session["_auth_user_id"] == str(shop.owner.pk)


@pytest.mark.parametrize("host", HOSTS)
def test_five_failures_under_different_spellings_lock_every_spelling(
    shop, other_shop, password, host
):
    hostname = HOSTS[host][0]
    for spelling in SPELLINGS[:4]:
        failed = on_host(Client(), hostname).post(
            "/accounts/login/", {"username": spelling, "password": "wrong"}
        )
        assert failed.status_code == 200
        assert WRONG_LOGIN in failed.content.decode()
    fifth = on_host(Client(), hostname).post(
        "/accounts/login/", {"username": SPELLINGS[4], "password": "wrong"}
    )
    assert fifth.status_code == 429

    for spelling in SPELLINGS:
        browser = on_host(Client(), hostname)
        locked = browser.post("/accounts/login/", {"username": spelling, "password": password})

        assert locked.status_code == 429, spelling
        assert "Too many failed logins" in locked.content.decode()
        assert "_auth_user_id" not in browser.session

    # One record for every spelling: the five failures and each refused attempt while locked.
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.failures_since_start) == (
        "owner@alpha.test",
        5 + len(SPELLINGS),
    )


def test_the_lock_of_one_address_leaves_other_accounts_alone(shop, other_shop, password):
    for spelling in SPELLINGS[:5]:
        on_host(Client(), "localhost").post(
            "/accounts/login/", {"username": spelling, "password": "wrong"}
        )

    other = on_host(Client(), "localhost")
    admitted = other.post(
        "/accounts/login/", {"username": " Owner@Bravo.test", "password": password}
    )

    assert admitted.status_code == 302
    assert other.session["_auth_user_id"] == str(other_shop.owner.pk)


def test_four_failures_then_the_right_password_resets_the_count(shop, password):
    for spelling in SPELLINGS[:4]:
        on_host(Client(), "alpha.localhost").post(
            "/accounts/login/", {"username": spelling, "password": "wrong"}
        )

    admitted = on_host(Client(), "alpha.localhost").post(
        "/accounts/login/", {"username": "OWNER@ALPHA.TEST", "password": password}
    )

    assert admitted.status_code == 302
    assert AccessAttempt.objects.filter(failures_since_start__gt=0).count() == 0
