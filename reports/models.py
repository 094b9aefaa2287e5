"""Platform reporting: monthly roll-ups of the ledger and the inputs only people can give
(sales and marketing spend, gross margin). Read-only over billing, onboarding and analytics;
nothing else imports this app."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.models import Merchant

MONEY = {"max_digits": 20, "decimal_places": 4, "default": Decimal("0")}


class MonthlyMerchantStats(models.Model):
    """DailyMerchantStats summed per merchant and local month, refreshed by a beat task, so
    console pages read 12 rows a merchant for a year instead of 365."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # first day of the month
    currency = models.CharField(max_length=3)
    gmv = models.DecimalField(**MONEY)
    refunds = models.DecimalField(**MONEY)
    orders = models.IntegerField(default=0)
    online_gmv = models.DecimalField(**MONEY)
    in_store_gmv = models.DecimalField(**MONEY)
    groupbuy_gmv = models.DecimalField(**MONEY)
    new_customers = models.IntegerField(default=0)
    refreshed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("monthly merchant stats")
        verbose_name_plural = _("monthly merchant stats")
        constraints = [
            models.UniqueConstraint(fields=["merchant", "month"], name="monthly_stats_once")
        ]
        indexes = [models.Index(fields=["month", "currency"])]

    def __str__(self) -> str:
        return f"{self.merchant_id} {self.month:%Y-%m}"


class MarketingSpend(models.Model):
    """Sales and marketing spend of a month, entered by platform admins (for CAC)."""

    month = models.DateField(_("month"))
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    note = models.CharField(_("note"), max_length=200, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("sales and marketing spend")
        verbose_name_plural = _("sales and marketing spend")
        constraints = [
            models.UniqueConstraint(fields=["month", "currency"], name="one_spend_per_month")
        ]
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.amount} {self.currency}"


class MetricSettings(models.Model):
    """Platform-wide inputs set by admins: the gross margin LTV uses."""

    gross_margin_percent = models.DecimalField(
        _("gross margin (%)"), max_digits=5, decimal_places=2, default=Decimal("70")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("metric settings")
        verbose_name_plural = _("metric settings")

    def __str__(self) -> str:
        return f"gross margin {self.gross_margin_percent}%"

    @classmethod
    def current(cls) -> "MetricSettings":
        found, _created = cls.objects.get_or_create(pk=1)
        return found


class ChannelSpend(models.Model):
    """What acquiring merchants through one signup channel cost in a month (CAC by source),
    entered by platform admins; the month's total spend stays in MarketingSpend."""

    month = models.DateField(_("month"))  # first day of the month
    channel = models.CharField(_("channel"), max_length=12)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "channel", "currency"], name="one_channel_spend_per_month"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="channel_spend_not_negative"
            ),
        ]
        ordering = ["-month", "channel"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.channel} {self.amount} {self.currency}"
