import pytest
from django.core.management import call_command

from onboarding.models import Alert, Journey, NpsResponse, Playbook, TrainingSession
from onboarding.selectors import journey_status

pytestmark = pytest.mark.django_db


def test_the_demo_shops_sit_at_different_points_of_their_journey_and_seeding_twice_adds_nothing():
    call_command("seed_demo")
    call_command("seed_onboarding_demo")
    counts = (Alert.objects.count(), NpsResponse.objects.count(), TrainingSession.objects.count())
    call_command("seed_onboarding_demo")

    journeys = {j.merchant.slug: j for j in Journey.objects.select_related("merchant", "csm")}
    status = {slug: journey_status(j.milestones.all()) for slug, j in journeys.items()}
    assert status == {"tea-house": "done", "noodle-bar": "behind", "flower-lab": "behind"}
    assert {slug: j.day() for slug, j in journeys.items()} == {
        "tea-house": 35,
        "noodle-bar": 16,
        "flower-lab": 3,
    }
    assert {j.csm.email for j in journeys.values()} == {"csm@demo.test"}
    assert journeys["tea-house"].tier == "C"
    assert NpsResponse.objects.get().score == 9
    assert set(Alert.objects.values_list("journey__merchant__slug", "stage", "level")) == {
        ("noodle-bar", "training", "behind"),
        ("flower-lab", "first_contact", "behind"),
    }
    assert Playbook.objects.get().steps.count() == 4
    assert counts == (
        Alert.objects.count(),
        NpsResponse.objects.count(),
        TrainingSession.objects.count(),
    )
