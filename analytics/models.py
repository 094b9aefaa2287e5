"""The public ledger: the only bridge from tenant schemas to platform jobs.

Tenant code writes an event here in the same transaction as the change it describes;
billing, onboarding and platform analytics read only these tables.
"""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.models import Merchant

MONEY = {"max_digits": 18, "decimal_places": 4, "default": Decimal("0")}


class MerchantEvent(models.Model):
    """Append-only. `idempotency_key` makes a second write of the same fact a no-op."""

    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=64)
    idempotency_key = models.CharField(max_length=200, unique=True)
    payload = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField()
    # The merchant's local calendar day of `occurred_at`; ledger days and billing periods
    # are local dates.
    local_date = models.DateField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("merchant event")
        verbose_name_plural = _("merchant events")
        indexes = [
            models.Index(fields=["merchant", "kind", "occurred_at"]),
            models.Index(fields=["kind", "occurred_at"]),
            # Billing reads one kind over a period of local days (refunds, plugin switches).
            models.Index(fields=["kind", "local_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.merchant_id} ({self.idempotency_key})"


class DailyMerchantStats(models.Model):
    """One row per merchant and local day; every figure is a running sum of event deltas.

    Amounts are in the merchant's currency. GMV rule: `gmv` sums the totals of orders paid
    that day, `refunds` the amounts refunded that day; net GMV = gmv - refunds. Billing's
    period GMV leaves out `prior_period_refunds` (credited against the earlier invoice).
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="daily_stats")
    date = models.DateField()
    gmv = models.DecimalField(**MONEY)
    refunds = models.DecimalField(**MONEY)
    orders = models.IntegerField(default=0)
    refund_count = models.IntegerField(default=0)
    # The part of `refunds` that refunds orders paid in an earlier local month.
    prior_period_refunds = models.DecimalField(**MONEY)
    cancelled_orders = models.IntegerField(default=0)
    online_orders = models.IntegerField(default=0)
    online_gmv = models.DecimalField(**MONEY)
    in_store_orders = models.IntegerField(default=0)
    in_store_gmv = models.DecimalField(**MONEY)
    groupbuy_orders = models.IntegerField(default=0)
    groupbuy_gmv = models.DecimalField(**MONEY)
    # A database default too: bulk loaders (benchmarks, repairs) insert rows with raw SQL.
    groupbuy_new_customers = models.IntegerField(default=0, db_default=0)
    new_customers = models.IntegerField(default=0)
    returning_customers = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("daily merchant stats")
        verbose_name_plural = _("daily merchant stats")
        constraints = [
            models.UniqueConstraint(fields=["merchant", "date"], name="daily_stats_merchant_date")
        ]
        indexes = [models.Index(fields=["date"])]

    def __str__(self) -> str:
        return f"{self.merchant_id} {self.date}"

    @property
    def net_gmv(self) -> Decimal:
        return self.gmv - self.refunds
