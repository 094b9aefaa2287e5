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
    assert status["tea-house"] == "done"
    assert status["noodle-bar"] == status["flower-lab"] == "behind"
    # Each journey began on the shop's signup day (the demo lives the days since).
    for journey in journeys.values():
        assert journey.started_at == journey.merchant.created_at
    assert sorted(journeys, key=lambda slug: journeys[slug].day()) == [
        "flower-lab",
        "noodle-bar",
        "paper-kite",
        "tea-house",
    ]
    assert {j.csm.email for j in journeys.values()} == {"csm@demo.test"}
    assert journeys["tea-house"].tier != ""
    answers = dict(NpsResponse.objects.values_list("survey__merchant__slug", "score"))
    assert answers == {"tea-house": 10, "paper-kite": 7}
    for response in NpsResponse.objects.select_related("survey"):
        assert response.answered_at > response.survey.sent_at  # answered after it was sent
    open_alerts = set(Alert.objects.values_list("journey__merchant__slug", "stage", "level"))
    assert ("noodle-bar", "training", "behind") in open_alerts
    assert ("flower-lab", "first_contact", "behind") in open_alerts
    assert Playbook.objects.get().steps.count() == 4
    assert counts == (
        Alert.objects.count(),
        NpsResponse.objects.count(),
        TrainingSession.objects.count(),
    )
