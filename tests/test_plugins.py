import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory

from analytics.models import MerchantEvent
from commerce.plugins.access import plugin_required
from commerce.plugins.models import PluginState
from tests.conftest import on_host

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(shop):
    client = on_host(Client(), "alpha.localhost")
    client.force_login(shop.owner)
    return client


def test_switching_a_paid_plugin_on_and_off_tells_the_ledger_each_time_once(owner, shop):
    page = owner.get("/manage/marketing/").content.decode()
    assert "Group-buy (拼团)" in page
    assert "99.00 CNY a month" in page

    owner.post("/manage/marketing/groupbuy/switch/", {"enable": "1"})
    owner.post("/manage/marketing/groupbuy/switch/", {"enable": "1"})  # already on: no-op
    owner.post("/manage/marketing/groupbuy/switch/", {"enable": "0"})

    events = list(
        MerchantEvent.objects.filter(merchant=shop.merchant)
        .order_by("id")
        .values_list("kind", "payload")
    )
    assert [kind for kind, _payload in events] == ["plugin_enabled", "plugin_disabled"]
    assert events[0][1]["monthly_price"] == "99.00"
    assert events[0][1]["currency"] == "CNY"
    with shop.merchant:
        state = PluginState.objects.get(key="groupbuy")
        assert (state.enabled, state.enabled_at is not None, state.disabled_at is not None) == (
            False,
            True,
            True,
        )


def test_unknown_plugins_and_switching_off_twice_are_refused(owner, shop):
    unknown = owner.post("/manage/marketing/coupons/switch/", {"enable": "1"})
    off_twice = owner.post("/manage/marketing/groupbuy/switch/", {"enable": "0"})

    assert unknown.status_code == off_twice.status_code == 400
    assert "Unknown plugin." in unknown.content.decode()
    assert "This plugin is not switched on." in off_twice.content.decode()
    assert not MerchantEvent.objects.exists()


def test_a_disabled_plugins_pages_answer_404(owner, shop):
    from django.http import Http404

    view = plugin_required("groupbuy")(lambda request: HttpResponse("teams"))
    request = RequestFactory().get("/groupbuy/")
    with shop.merchant:
        with pytest.raises(Http404):
            view(request)
        PluginState.objects.create(key="groupbuy", enabled=True)
        assert view(request).content == b"teams"
