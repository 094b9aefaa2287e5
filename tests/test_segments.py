"""Segments: a saved filter of merchants, its preview, and the bulk actions on it."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from onboarding.models import (
    HealthScore,
    Journey,
    NpsResponse,
    NpsSurvey,
    Playbook,
    PlaybookStep,
    SavedSegment,
    SurveyKind,
    Task,
    TierAssignment,
)
from onboarding.segments import SegmentFilters, segment_merchants
from outbox.models import OutboxMessage
from tenants.models import Merchant
from tests.conftest import on_host
from tests.factories import ShopFactory
from tests.factories_onboarding import make_csm

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = on_host(Client(), "localhost")
    client.force_login(user)
    return client


def tier(merchant, value: str) -> None:
    TierAssignment.objects.create(
        merchant=merchant,
        tier=value,
        segment="active",
        monthly_avg_gmv=0,
        active_outlets=1,
        period=date(2026, 12, 1),
        reason="on_demand",
    )


def health(merchant, score: int, override: int | None = None) -> None:
    HealthScore.objects.create(
        merchant=merchant, computed_on=timezone.localdate(), score=score, override_score=override
    )


def answered(merchant, score: int) -> None:
    survey = NpsSurvey.objects.create(merchant=merchant, kind=SurveyKind.WAVE, wave=0)
    NpsResponse.objects.create(survey=survey, score=score)


@pytest.fixture
def merchants():
    ka_red = ShopFactory(slug="ka-red", shop_name="KA Red").merchant
    ka_green = ShopFactory(slug="ka-green", shop_name="KA Green").merchant
    c_red = ShopFactory(slug="c-red", shop_name="C Red").merchant
    tier(ka_red, "KA")
    tier(ka_green, "KA")
    tier(c_red, "C")
    health(ka_red, 20)
    health(ka_green, 20, override=85)
    health(c_red, 30)
    answered(ka_red, 4)
    answered(c_red, 10)
    return ka_red, ka_green, c_red


def test_filters_combine_and_read_the_effective_health_and_latest_answer(merchants):
    def names(**filters):
        return list(segment_merchants(SegmentFilters(**filters)).values_list("slug", flat=True))

    assert names(tier="KA") == ["ka-green", "ka-red"]
    assert names(tier="KA", health="red") == ["ka-red"]
    assert names(health="green") == ["ka-green"]
    assert names(nps="detractor") == ["ka-red"]
    assert names(nps="promoter") == ["c-red"]
    assert names(nps="none") == ["ka-green"]
    assert names(stage="first_contact") == ["c-red", "ka-green", "ka-red"]
    assert names(renewal_within_days=400) == ["c-red", "ka-green", "ka-red"]
    assert names(plan="no-such-plan") == []
    Merchant.objects.filter(pk=c_red_pk(merchants)).update(industry="beauty")
    assert names(industry="beauty") == ["c-red"]
    assert names(industry="beauty", tier="KA") == []


def c_red_pk(merchants) -> int:
    return merchants[2].pk


def test_a_csm_previews_saves_and_surveys_a_segment_once_each(merchants):
    ka_red = merchants[0]
    csm = make_csm("csm@platform.test")
    console = logged_in(csm)
    NpsSurvey.objects.filter(merchant=ka_red).update(sent_at=timezone.now() - timedelta(days=5))
    NpsSurvey.objects.exclude(merchant=ka_red).update(sent_at=timezone.now() - timedelta(days=90))

    preview = console.get("/console/onboarding/segments/", {"tier": "KA"})
    empty_name = console.post("/console/onboarding/segments/", {"tier": "KA", "name": " "})
    no_filter = console.post("/console/onboarding/segments/", {"name": "Everyone"})
    saved = console.post("/console/onboarding/segments/", {"tier": "KA", "name": "Key accounts"})
    duplicate = console.post("/console/onboarding/segments/", {"tier": "C", "name": "Key accounts"})
    segment = SavedSegment.objects.get()
    surveyed = console.post(f"/console/onboarding/segments/{segment.pk}/survey/")
    again = console.post(f"/console/onboarding/segments/{segment.pk}/survey/")

    assert preview.status_code == 200
    assert "KA Red" in preview.content.decode() and "C Red" not in preview.content.decode()
    assert [r.status_code for r in (empty_name, no_filter, duplicate)] == [400, 400, 400]
    assert 'data-field="name"' in empty_name.content.decode()
    assert saved.status_code == 302
    assert segment.filters["tier"] == "KA"
    assert (surveyed.status_code, again.status_code) == (302, 302)
    # ka-red was surveyed five days ago: the quota skips it; ka-green gets one survey.
    manual = NpsSurvey.objects.filter(kind=SurveyKind.MANUAL)
    assert list(manual.values_list("merchant__slug", flat=True)) == ["ka-green"]
    assert OutboxMessage.objects.filter(dedupe_key__startswith="onboarding:nps:").count() == 1


def test_bulk_assign_and_playbook_reach_every_member_and_nobody_else(merchants):
    csm = make_csm("csm@platform.test")
    other = make_csm("other@platform.test")
    Journey.objects.update(csm=other)
    playbook = Playbook.objects.create(name="Win back")
    PlaybookStep.objects.create(playbook=playbook, title="Call the owner", due_in_days=1)
    segment = SavedSegment.objects.create(name="Red", filters={"health": "red"})
    console = logged_in(csm)

    assigned = console.post(f"/console/onboarding/segments/{segment.pk}/assign/", {"csm": csm.pk})
    bad = console.post(f"/console/onboarding/segments/{segment.pk}/assign/", {"csm": "x"})
    applied = console.post(
        f"/console/onboarding/segments/{segment.pk}/playbook/", {"playbook": playbook.pk}
    )
    unknown = console.post(f"/console/onboarding/segments/{segment.pk}/delete-all/")

    assert (assigned.status_code, bad.status_code, applied.status_code) == (302, 400, 302)
    assert unknown.status_code == 404
    assert dict(Journey.objects.values_list("merchant__slug", "csm__email")) == {
        "ka-red": "csm@platform.test",
        "c-red": "csm@platform.test",
        "ka-green": "other@platform.test",
    }
    assert sorted(Task.objects.values_list("merchant__slug", "assignee__email")) == [
        ("c-red", "csm@platform.test"),
        ("ka-red", "csm@platform.test"),
    ]


def test_the_segment_page_runs_a_fixed_number_of_queries(merchants, django_assert_max_num_queries):
    segment = SavedSegment.objects.create(name="All KA", filters={"tier": "KA"})
    console = logged_in(make_csm("csm@platform.test"))
    for index in range(6):
        shop = ShopFactory(slug=f"more-{index}").merchant
        tier(shop, "KA")

    with django_assert_max_num_queries(20):
        page = console.get(f"/console/onboarding/segments/{segment.pk}/")

    assert page.status_code == 200
    assert page.content.decode().count("/console/onboarding/merchants/") >= 8
