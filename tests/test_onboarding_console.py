"""The CSM console pages and the merchant's checklist, over HTTP."""

import html
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Notification, PlatformRole
from onboarding import services
from onboarding.models import (
    ContactLog,
    Journey,
    Milestone,
    NpsResponse,
    NpsSurvey,
    Playbook,
    PlaybookStep,
    Task,
    TierAssignment,
    TierThreshold,
    TrainingRegistration,
)
from tests.conftest import on_host
from tests.factories import PlatformStaffFactory, ShopFactory, UserFactory
from tests.factories_onboarding import make_csm

pytestmark = pytest.mark.django_db


def logged_in(user, host: str = "localhost") -> Client:
    client = on_host(Client(), host)
    client.force_login(user)
    return client


@pytest.fixture
def csm():
    return make_csm("csm@platform.test")


@pytest.fixture
def console(csm):
    return logged_in(csm)


def test_only_csms_and_admins_open_the_onboarding_pages(shop, make_staff):
    finance = logged_in(make_staff(PlatformRole.FINANCE))
    merchant_owner = logged_in(shop.owner)
    admin = logged_in(make_staff(PlatformRole.PLATFORM_ADMIN))
    pages = [
        "/console/onboarding/",
        "/console/onboarding/board/",
        f"/console/onboarding/merchants/{shop.merchant.pk}/",
        "/console/onboarding/nps/",
        "/console/onboarding/training/",
        "/console/onboarding/tiers/",
        "/console/onboarding/notifications/",
    ]
    for page in pages:
        assert finance.get(page).status_code == 403, page
        assert merchant_owner.get(page).status_code == 403, page
        assert admin.get(page).status_code == 200, page
    assert logged_in(shop.owner, "alpha.localhost").get("/console/onboarding/").status_code == 404


def test_logging_a_first_contact_turns_the_stage_green(console, csm, shop):
    url = f"/console/onboarding/merchants/{shop.merchant.pk}/"

    response = console.post(
        f"{url}contact/",
        {
            "channel": "wechat",
            "notes": "Introduced myself",
            "system_contact": "Li Wei",
            "store_role_owners": "Li Wei: everything",
        },
    )
    page = console.get(url).content.decode()

    assert response.status_code == 302 and response["Location"] == url
    first = Milestone.objects.get(journey__merchant=shop.merchant, stage="first_contact")
    assert (first.completed_via, first.completed_by) == ("contact", csm)
    assert 'data-stage="first_contact" data-status="done"' in page
    assert "WeChat: Introduced myself" in page


def test_a_bad_contact_is_refused_naming_the_field_and_nothing_is_written(console, shop):
    response = console.post(
        f"/console/onboarding/merchants/{shop.merchant.pk}/contact/",
        {"channel": "phone", "notes": "Called", "system_contact": "", "store_role_owners": ""},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-field="system_contact"' in page
    assert "Record the merchant's system contact." in html.unescape(page)
    assert not ContactLog.objects.exists()


def test_completing_a_stage_by_hand_needs_a_note(console, shop):
    base = f"/console/onboarding/merchants/{shop.merchant.pk}/stages"

    refused = console.post(f"{base}/training/complete/", {"note": ""})
    unknown = console.post(f"{base}/nonsense/complete/", {"note": "x"})
    done = console.post(f"{base}/training/complete/", {"note": "Trained on site"})

    assert refused.status_code == 400
    assert unknown.status_code == 404
    assert done.status_code == 302
    training = Milestone.objects.get(journey__merchant=shop.merchant, stage="training")
    assert (training.completed_via, training.note) == ("csm", "Trained on site")


def test_the_merchant_360_page_stays_within_a_fixed_number_of_queries(
    console, csm, shop, django_assert_max_num_queries
):
    for number in range(5):
        services.create_task(
            merchant=shop.merchant,
            title=f"Task {number}",
            assignee=csm,
            due_on=date.today(),
            actor=csm,
        )
        services.add_note(merchant=shop.merchant, text=f"Note {number}", actor=csm)

    with django_assert_max_num_queries(40):
        response = console.get(f"/console/onboarding/merchants/{shop.merchant.pk}/")

    assert response.status_code == 200
    assert response.content.decode().count("Task ") >= 5


def test_my_day_lists_stuck_stages_first_then_overdue_tasks_then_due_today(
    console, csm, django_assert_max_num_queries
):
    now = timezone.now()
    stuck = ShopFactory(slug="stuck-shop", shop_name="Stuck Shop").merchant
    Journey.objects.filter(merchant=stuck).update(csm=csm)
    Milestone.objects.filter(journey__merchant=stuck, stage="first_contact").update(
        due_at=now - timedelta(days=5)
    )
    fresh = ShopFactory(slug="fresh-shop", shop_name="Fresh Shop").merchant
    services.create_task(
        merchant=fresh, title="Send the guide", assignee=csm, due_on=date.today(), actor=csm
    )
    services.create_task(
        merchant=fresh,
        title="Call back",
        assignee=csm,
        due_on=date.today() - timedelta(days=2),
        actor=csm,
    )
    services.create_task(
        merchant=fresh,
        title="Next week",
        assignee=csm,
        due_on=date.today() + timedelta(days=7),
        actor=csm,
    )
    Notification.objects.all().delete()

    with django_assert_max_num_queries(12):
        response = console.get("/console/onboarding/")

    texts = [item.text for item in response.context["items"]]
    assert texts[:2] == ["Stuck Shop: First contact is stuck", "Fresh Shop: Call back"]
    assert "Fresh Shop: Send the guide" in texts
    assert "Fresh Shop: Next week" not in texts
    assert texts.index("Fresh Shop: Call back") < texts.index("Fresh Shop: Send the guide")


def test_the_board_shows_merchants_by_stage_and_filters(console, csm, make_staff):
    other = make_csm("other@platform.test")
    late = ShopFactory(slug="late-shop", shop_name="Late Shop").merchant
    ontime = ShopFactory(slug="ontime-shop", shop_name="On Time Shop").merchant
    Journey.objects.filter(merchant=late).update(csm=csm)
    Journey.objects.filter(merchant=ontime).update(csm=other, tier="A")
    Milestone.objects.filter(journey__merchant=late, stage="first_contact").update(
        due_at=timezone.now() - timedelta(hours=1)
    )
    Milestone.objects.filter(journey__merchant=ontime, stage="first_contact").update(
        completed_at=timezone.now()
    )

    everything = console.get("/console/onboarding/board/").context["columns"]
    behind = console.get("/console/onboarding/board/", {"status": "behind"}).context["columns"]
    mine = console.get("/console/onboarding/board/", {"csm": csm.pk}).context["columns"]
    tier_a = console.get("/console/onboarding/board/", {"tier": "A"}).context["columns"]
    setup = console.get("/console/onboarding/board/", {"stage": "store_setup"}).context["columns"]

    def names(columns):
        return {c.stage: [j.merchant.name for j in c.journeys] for c in columns if c.journeys}

    assert names(everything) == {"first_contact": ["Late Shop"], "store_setup": ["On Time Shop"]}
    assert names(behind) == {"first_contact": ["Late Shop"]}
    assert names(mine) == {"first_contact": ["Late Shop"]}
    assert names(tier_a) == {"store_setup": ["On Time Shop"]}
    assert names(setup) == {"store_setup": ["On Time Shop"]}
    assert [j.status for c in everything for j in c.journeys] == ["behind", "on_track"]


def test_tasks_are_created_completed_and_a_playbook_applies_its_steps(console, csm, shop):
    url = f"/console/onboarding/merchants/{shop.merchant.pk}/"
    playbook = Playbook.objects.create(name="Kick-off")
    PlaybookStep.objects.create(playbook=playbook, title="Welcome call", due_in_days=0, position=1)
    PlaybookStep.objects.create(playbook=playbook, title="Send guide", due_in_days=3, position=2)

    missing = console.post(f"{url}tasks/", {"title": "", "due_on": ""})
    created = console.post(
        f"{url}tasks/", {"title": "Check stock", "assignee": csm.pk, "due_on": "2026-07-01"}
    )
    applied = console.post(f"{url}playbook/", {"playbook": playbook.pk})
    task = Task.objects.get(title="Check stock")
    completed = console.post(f"/console/onboarding/tasks/{task.pk}/complete/")

    assert missing.status_code == 400
    assert (created.status_code, applied.status_code, completed.status_code) == (302, 302, 302)
    today = timezone.localdate()
    assert sorted(
        (title, due, email, done is None)
        for title, due, email, done in Task.objects.values_list(
            "title", "due_on", "assignee__email", "completed_at"
        )
    ) == [
        ("Check stock", date(2026, 7, 1), "csm@platform.test", False),
        ("Send guide", today + timedelta(days=3), "csm@platform.test", True),
        ("Welcome call", today, "csm@platform.test", True),
    ]


def test_a_csm_is_changed_and_a_sales_order_starts_a_journey(console, csm, shop):
    other = make_csm("other@platform.test")
    finance = PlatformStaffFactory(platform_roles=[PlatformRole.FINANCE])
    Journey.objects.filter(merchant=shop.merchant).delete()
    url = f"/console/onboarding/merchants/{shop.merchant.pk}/"

    started = console.post(f"{url}start/", {"started_on": "2026-05-04", "csm": csm.pk})
    not_a_csm = console.post(f"{url}csm/", {"csm": finance.pk})
    changed = console.post(f"{url}csm/", {"csm": other.pk})

    assert (started.status_code, not_a_csm.status_code, changed.status_code) == (302, 400, 302)
    journey = Journey.objects.get(merchant=shop.merchant)
    assert journey.csm == other
    assert journey.started_at.date() == date(2026, 5, 4)
    assert Notification.objects.filter(recipient=other).count() == 1


def test_training_sessions_signups_in_manage_and_attendance_complete_the_stage(console, shop):
    starts = timezone.now() + timedelta(days=2)
    scheduled = console.post(
        "/console/onboarding/training/",
        {
            "title": "Till basics",
            "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
            "location": "Zoom",
            "capacity": 1,
        },
    )
    session_id = console.get("/console/onboarding/training/").context["sessions"][0].pk
    owner = logged_in(shop.owner, "alpha.localhost")
    staff = UserFactory(email="staff@alpha.test")
    from tenants.services import add_member

    add_member(merchant=shop.merchant, user=staff, role="manager")
    staff_client = logged_in(staff, "alpha.localhost")

    signed = owner.post(f"/manage/onboarding/training/{session_id}/register/")
    again = owner.post(f"/manage/onboarding/training/{session_id}/register/")
    full = staff_client.post(f"/manage/onboarding/training/{session_id}/register/", follow=True)
    registration = TrainingRegistration.objects.get()
    attended = console.post(
        f"/console/onboarding/training/{session_id}/", {"registration": registration.pk}
    )

    assert scheduled.status_code == 302
    assert (signed.status_code, again.status_code) == (302, 302)
    assert "This session is full." in full.content.decode()
    assert TrainingRegistration.objects.count() == 1
    assert attended.status_code == 302
    training = Milestone.objects.get(journey__merchant=shop.merchant, stage="training")
    assert training.completed_via == "training"


def test_the_merchant_sees_its_own_checklist_only(shop, other_shop):
    Milestone.objects.filter(journey__merchant=shop.merchant, stage="first_contact").update(
        completed_at=timezone.now()
    )
    page = logged_in(shop.owner, "alpha.localhost").get("/manage/onboarding/")
    elsewhere = logged_in(shop.owner, "bravo.localhost").get("/manage/onboarding/")

    assert page.status_code == 200
    assert 'data-stage="first_contact" data-status="done"' in page.content.decode()
    assert page.context["journey"].merchant == shop.merchant
    assert elsewhere.status_code == 403


def test_an_owner_answers_the_nps_survey_in_manage_and_staff_do_not_see_it(shop):
    survey = NpsSurvey.objects.create(merchant=shop.merchant, wave=0)
    owner = logged_in(shop.owner, "alpha.localhost")
    staff = UserFactory(email="staff@alpha.test")
    from tenants.services import add_member

    add_member(merchant=shop.merchant, user=staff, role="manager")

    assert (
        'id="nps-form"'
        not in logged_in(staff, "alpha.localhost").get("/manage/onboarding/").content.decode()
    )
    assert 'id="nps-form"' in owner.get("/manage/onboarding/").content.decode()
    bad = owner.post("/manage/onboarding/nps/", {"score": "12", "comment": ""})
    good = owner.post("/manage/onboarding/nps/", {"score": "9", "comment": "Great help"})

    assert bad.status_code == 400
    assert 'data-field="score"' in bad.content.decode()
    assert good.status_code == 302
    assert NpsResponse.objects.get().survey == survey
    assert 'id="nps-form"' not in owner.get("/manage/onboarding/").content.decode()


def test_only_platform_admins_edit_tier_thresholds(make_staff, console):
    admin = logged_in(make_staff(PlatformRole.PLATFORM_ADMIN))
    data = {
        "SKA_min_monthly_gmv": "2000000",
        "SKA_min_active_outlets": "30",
        "KA_min_monthly_gmv": "200000",
        "KA_min_active_outlets": "5",
        "A_min_monthly_gmv": "50000",
        "A_min_active_outlets": "2",
        "B_min_monthly_gmv": "10000",
        "B_min_active_outlets": "1",
        "C_min_monthly_gmv": "0",
        "C_min_active_outlets": "0",
    }

    assert console.post("/console/onboarding/tiers/", data).status_code == 403
    assert not TierThreshold.objects.exists()
    bad = admin.post("/console/onboarding/tiers/", {**data, "KA_min_active_outlets": "-1"})
    assert bad.status_code == 400
    assert 'data-field="KA_min_active_outlets"' in bad.content.decode()
    assert admin.post("/console/onboarding/tiers/", data).status_code == 302
    assert TierThreshold.objects.get(tier="SKA").min_active_outlets == 30


def test_notifications_are_listed_and_marked_read(console, csm, shop):
    Notification.objects.create(recipient=csm, text="Look at Alpha", link="/console/")
    assert "Look at Alpha" in console.get("/console/onboarding/notifications/").content.decode()
    console.post("/console/onboarding/notifications/")
    assert not Notification.objects.filter(recipient=csm, read_at__isnull=True).exists()


def test_recomputing_a_tier_on_demand_records_history(console, shop):
    response = console.post(f"/console/onboarding/merchants/{shop.merchant.pk}/tier/")
    assert response.status_code == 302
    assert Journey.objects.get(merchant=shop.merchant).tier == "C"
    assert list(TierAssignment.objects.values_list("tier", "reason")) == [("C", "on_demand")]
