"""Demo customer success for `make demo` (after seed_demo): a CSM team, a playbook, a
training session, and each demo shop's journey lived day by day since its signup, with the
clock moved to each day (time-machine): the CSM's calls and hand-confirmed stages on their
days, the sweep that production runs (stages done from the shop's own data, tiering, alerts,
NPS waves) once a day, and the owners' NPS answers a day after their survey opened.

- Tea House (day 100): contacted on day 0, trained on day 10, live on day 20 (first till
  sale and group-buy campaign), tiered after day 30, a promoter (10).
- Paper Kite (day 90): contacted, trained, never launched a campaign; a passive (7).
- Noodle Bar (day 16): contacted and set up, training behind.
- Flower Lab (day 3): never contacted (first contact behind, alerts raised).

Safe to run again: shops whose journey exists are left as they are.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.models import PlatformRole, User
from onboarding import scoring, services
from onboarding.models import (
    CsmProfile,
    Journey,
    Milestone,
    Playbook,
    PlaybookStep,
    Stage,
    TrainingSession,
)
from onboarding.selectors import open_survey
from onboarding.sweep import run_sweep
from tenants.models import Merchant

DEMO_PASSWORD = "demo-pass-2026"
# slug: (day of the welcome call or None, {stage confirmed by the CSM: day}, NPS score)
DEMO_JOURNEYS = {
    "tea-house": (0, {Stage.TRAINING: 10}, 10),
    "paper-kite": (1, {Stage.TRAINING: 12}, 7),
    "noodle-bar": (1, {}, None),
    "flower-lab": (None, {}, None),
}
PLAYBOOK = [
    ("Welcome call and system contact", 0),
    ("Send the set-up guide", 1),
    ("Book the training session", 7),
    ("Check the first POS sale and campaign", 15),
]
SWEEP_HOUR = 20  # local time: after the day's calls and sales


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
        merchants = [
            merchant
            for merchant in Merchant.objects.filter(slug__in=DEMO_JOURNEYS).order_by("created_at")
            if not Journey.objects.filter(merchant=merchant).exists()
        ]
        if merchants:
            self._live_the_days(merchants, csm, now)
        scoring.compute_health()

    def _live_the_days(self, merchants: list[Merchant], csm: User | None, now: datetime) -> None:
        zone = ZoneInfo(merchants[0].timezone)
        signups = {m.pk: m.created_at.astimezone(zone).date() for m in merchants}
        day = min(signups.values())
        today = now.astimezone(zone).date()
        while day <= today:
            for merchant in merchants:
                offset = (day - signups[merchant.pk]).days
                if offset < 0:
                    continue
                moment = datetime.combine(day, time(10), tzinfo=zone)
                with time_machine.travel(max(moment, merchant.created_at)):
                    self._csm_day(merchant, offset, csm)
            sweep_at = min(datetime.combine(day, time(SWEEP_HOUR), tzinfo=zone), now)
            with time_machine.travel(sweep_at):
                run_sweep()
            day += timedelta(days=1)
        for merchant in merchants:
            journey = Journey.objects.get(merchant=merchant)
            self.stdout.write(f"Demo journey: {merchant.name} on day {journey.day()}")

    @staticmethod
    def _csm_day(merchant: Merchant, offset: int, csm: User | None) -> None:
        call_day, confirmed, score = DEMO_JOURNEYS[merchant.slug]
        if offset == 0:
            services.start_journey(merchant=merchant, csm=csm)
        journey = Journey.objects.get(merchant=merchant)
        if offset == call_day and csm is not None:
            services.log_contact(
                journey=journey,
                data=services.ContactInput(
                    channel="phone",
                    notes="Welcome call: walked through the set-up checklist.",
                    system_contact=f"Owner of {merchant.name}",
                    store_role_owners="Owner: products, orders, till",
                ),
                actor=csm,
            )
        for stage, day in confirmed.items():
            if offset == day:
                services.complete_milestone(
                    milestone=Milestone.objects.get(journey=journey, stage=stage),
                    actor=csm,
                    note="Demo: confirmed on a call",
                )
        survey = open_survey(merchant)
        if (
            score is not None
            and survey is not None
            and survey.sent_at.date() < timezone.now().date()
        ):
            owner = merchant.memberships.get(role="owner").user
            services.answer_nps(survey=survey, score=score, comment="", user=owner)
