"""Upcoming renewals for finance and customer success (`/console/onboarding/renewals/`).

Billing knows the terms, the reminders sent and who is past due; customer success knows who
is at risk (health below the red line, a detractor's last NPS answer). The list lives here
because onboarding may read billing and not the other way round. At-risk merchants come
first, then the soonest renewals. A fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import PlatformRole
from billing.selectors import RENEWAL_HORIZON_DAYS, UpcomingRenewal, upcoming_renewals
from onboarding.models import HealthScore, NpsResponse
from tenants.access import platform_role_required

DETRACTOR_AT_MOST = 6


@dataclass(frozen=True)
class RenewalAtRisk:
    renewal: UpcomingRenewal
    health: int | None
    last_nps: int | None
    risks: list[str]

    @property
    def at_risk(self) -> bool:
        return bool(self.risks)


def renewals_with_risk(today: date | None = None) -> list[RenewalAtRisk]:
    """Renewals in the next 120 days; at-risk merchants (low health, NPS detractor, past
    due) first, the most risks first, then by renewal date."""
    today = today or timezone.now().date()
    renewals = upcoming_renewals(today, days=RENEWAL_HORIZON_DAYS)
    ids = [row.merchant_id for row in renewals]
    health = dict(
        HealthScore.objects.filter(merchant_id__in=ids)
        .order_by("merchant_id", "-computed_on")
        .distinct("merchant_id")
        .values_list("merchant_id", "score")
    )
    last_nps = dict(
        NpsResponse.objects.filter(survey__merchant_id__in=ids)
        .order_by("survey__merchant_id", "-answered_at", "-id")
        .distinct("survey__merchant_id")
        .values_list("survey__merchant_id", "score")
    )
    rows = []
    for renewal in renewals:
        score, nps = health.get(renewal.merchant_id), last_nps.get(renewal.merchant_id)
        risks = []
        if score is not None and score < settings.ONBOARDING_HEALTH_RED_BELOW:
            risks.append(_("Low health (%(score)s)") % {"score": score})
        if nps is not None and nps <= DETRACTOR_AT_MOST:
            risks.append(_("NPS detractor (%(score)s)") % {"score": nps})
        if renewal.past_due:
            risks.append(_("Past due"))
        if not renewal.auto_renew:
            risks.append(_("Will not renew automatically"))
        rows.append(RenewalAtRisk(renewal=renewal, health=score, last_nps=nps, risks=risks))
    rows.sort(key=lambda row: (-len(row.risks), row.renewal.term_end, row.renewal.merchant_name))
    return rows


@platform_role_required(PlatformRole.FINANCE, PlatformRole.CSM)
def upcoming_renewals_page(request):
    rows = renewals_with_risk()
    return render(
        request,
        "onboarding/console/renewals.html",
        {
            "rows": rows,
            "days": RENEWAL_HORIZON_DAYS,
            "at_risk": sum(1 for row in rows if row.at_risk),
            "red_below": settings.ONBOARDING_HEALTH_RED_BELOW,
        },
    )
