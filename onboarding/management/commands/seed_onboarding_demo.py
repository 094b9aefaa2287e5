"""Demo customer success for `make demo` (after seed_demo): a CSM team, a playbook, a
training session, and the demo shops at different points of their journey:

- tea-house: day 35, every stage done, tiered, NPS answered;
- noodle-bar: day 16, contacted and set up, training behind;
- flower-lab: day 3, never contacted (first contact behind, alerts raised).

Safe to run again: shops already moved back in time are left as they are.
"""

from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import PlatformRole, User
from onboarding import scoring, services
from onboarding.models import (
    STAGE_WINDOWS,
    ContactLog,
    CsmProfile,
    Journey,
    Milestone,
    NpsSurvey,
    Playbook,
    PlaybookStep,
    Stage,
    TrainingSession,
)
from onboarding.selectors import open_survey
from onboarding.sweep import run_sweep
from tenants.models import Merchant

DEMO_PASSWORD = "demo-pass-2026"
# slug: (days since day 0, stages done by then with the day each was done)
DEMO_JOURNEYS = {
    "tea-house": (35, {"store_setup": 5, "training": 10, "go_live": 20}),
    "noodle-bar": (16, {"store_setup": 6}),
    "flower-lab": (3, {}),
}
PLAYBOOK = [
    ("Welcome call and system contact", 0),
    ("Send the set-up guide", 1),
    ("Book the training session", 7),
    ("Check the first POS sale and campaign", 15),
]


class Command(BaseCommand):
    help = "Demo journeys, CSM team, playbook and training (idempotent)."

    def handle(self, *args, **options):
        now = timezone.now()
        lead, _ = User.objects.get_or_create(
            email="cs-lead@demo.test",
            defaults={
                "password": make_password(DEMO_PASSWORD),
                "platform_roles": [PlatformRole.CSM],
            },
        )
        CsmProfile.objects.update_or_create(user=lead, defaults={"accepts_new_merchants": False})
        csm = User.objects.filter(email="csm@demo.test").first()
        if csm is not None:
            CsmProfile.objects.update_or_create(user=csm, defaults={"manager": lead})
        playbook, created = Playbook.objects.get_or_create(name="New merchant kick-off")
        if created:
            PlaybookStep.objects.bulk_create(
                PlaybookStep(playbook=playbook, title=title, due_in_days=days, position=n)
                for n, (title, days) in enumerate(PLAYBOOK)
            )
        if not TrainingSession.objects.filter(starts_at__gt=now).exists():
            services.schedule_training(
                data=services.TrainingInput(
                    title="Your shop in one hour: products, till and group-buy",
                    starts_at=(now + timedelta(days=3)).replace(minute=0, second=0, microsecond=0),
                    location="https://meet.example.test/onboarding",
                    capacity=30,
                ),
                actor=csm,
            )
        for slug, (days, done) in DEMO_JOURNEYS.items():
            merchant = Merchant.objects.filter(slug=slug).first()
            if merchant is None:
                continue
            journey = services.start_journey(merchant=merchant, csm=csm)
            if journey.started_at < now - timedelta(hours=12):
                continue
            self._move_back(merchant, journey, days, done, csm, now)
            self.stdout.write(f"Demo journey: {merchant.name} on day {days}")
        run_sweep()
        scoring.compute_health()
        tea_house = Merchant.objects.filter(slug="tea-house").first()
        survey = open_survey(tea_house) if tea_house else None
        if survey is not None:
            owner = tea_house.memberships.get(role="owner").user
            services.answer_nps(survey=survey, score=9, comment="Live in a month.", user=owner)

    @staticmethod
    @transaction.atomic
    def _move_back(merchant, journey, days, done, csm, now) -> None:
        day0 = now - timedelta(days=days)
        Merchant.objects.filter(pk=merchant.pk).update(created_at=day0)
        Journey.objects.filter(pk=journey.pk).update(started_at=day0)
        for stage, (opens, due) in STAGE_WINDOWS.items():
            Milestone.objects.filter(journey=journey, stage=stage).update(
                opens_at=day0 + opens, due_at=day0 + due
            )
        NpsSurvey.objects.filter(merchant=merchant).delete()
        if days > 3 and csm is not None:
            contacted = day0 + timedelta(hours=20)
            ContactLog.objects.create(
                journey=journey,
                channel="phone",
                notes="Welcome call: walked through the set-up checklist.",
                logged_by=csm,
                contacted_at=contacted,
            )
            Journey.objects.filter(pk=journey.pk).update(
                system_contact=f"Owner of {merchant.name}",
                store_role_owners="Owner: products, orders, till",
            )
            services.complete_milestone(
                milestone=Milestone.objects.get(journey=journey, stage=Stage.FIRST_CONTACT),
                actor=csm,
                via="contact",
                at=contacted,
                require_note=False,
            )
        for stage, day in done.items():
            services.complete_milestone(
                milestone=Milestone.objects.get(journey=journey, stage=stage),
                actor=csm,
                note="Demo: confirmed on a call",
                at=day0 + timedelta(days=day),
            )
