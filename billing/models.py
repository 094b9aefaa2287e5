"""Plans, subscriptions, invoices and credit notes: what the platform charges merchants.

Every amount is in the merchant's currency (plan and plugin prices are list prices applied
in that currency). Lines keep the exact value and the amount rounded half-up to the
currency's exponent; an invoice's total is the sum of its rounded lines.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenants.models import Merchant

MONEY = {"max_digits": 18, "decimal_places": 4, "default": Decimal("0")}
EXACT = {"max_digits": 28, "decimal_places": 10, "default": Decimal("0")}


class BillingInterval(models.TextChoices):
    MONTH = "month", _("Monthly")
    YEAR = "year", _("Yearly")


class Plan(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    description = models.CharField(_("description"), max_length=300, blank=True)
    monthly_fee = models.DecimalField(_("monthly fee"), **MONEY)
    yearly_fee = models.DecimalField(_("yearly fee"), **MONEY)
    minimum_commission = models.DecimalField(
        _("monthly minimum commitment"),
        help_text=_("When a month's commission falls short of this, a true-up line adds the rest."),
        **MONEY,
    )
    included_seats = models.PositiveIntegerField(_("included staff seats"), default=1)
    extra_seat_price = models.DecimalField(_("price per extra seat a month"), **MONEY)
    included_storage_gb = models.PositiveIntegerField(_("included storage (GB)"), default=1)
    extra_storage_gb_price = models.DecimalField(_("price per extra GB a month"), **MONEY)
    included_plugins = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    # Tax added to this plan's invoices unless the merchant's region has its own rate; 0 is
    # a valid rate (no tax line's amount, the line still says 0%).
    tax_rate_percent = models.DecimalField(
        _("tax rate (%)"), max_digits=6, decimal_places=4, default=Decimal("0")
    )
    is_active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(tax_rate_percent__gte=0) & Q(tax_rate_percent__lte=100),
                name="plan_tax_rate_is_a_percentage",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def fee_for(self, interval: str) -> Decimal:
        return self.yearly_fee if interval == BillingInterval.YEAR else self.monthly_fee


class CommissionTier(models.Model):
    """The rate applies to the part of a month's net GMV from `lower_bound` up to the next
    tier's lower bound (graduated, like income tax); a flat plan has one tier from 0."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="tiers")
    lower_bound = models.DecimalField(**MONEY)
    rate_percent = models.DecimalField(max_digits=6, decimal_places=4)

    class Meta:
        ordering = ["plan", "lower_bound"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "lower_bound"], name="tier_plan_bound"),
            models.CheckConstraint(
                condition=Q(rate_percent__gte=0) & Q(rate_percent__lte=100),
                name="tier_rate_is_a_percentage",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.rate_percent}% from {self.lower_bound}"


class PluginPrice(models.Model):
    """What a paid plugin costs a month when the merchant's plan does not include it."""

    plugin = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    monthly_fee = models.DecimalField(**MONEY)

    def __str__(self) -> str:
        return self.name


class SubscriptionStatus(models.TextChoices):
    TRIAL = "trial", _("Trial")
    ACTIVE = "active", _("Active")
    PAST_DUE = "past_due", _("Past due")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


class Subscription(models.Model):
    """A merchant's one subscription; the term is [term_start, term_end] in local dates."""

    merchant = models.OneToOneField(Merchant, on_delete=models.PROTECT, related_name="subscription")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    interval = models.CharField(
        max_length=5, choices=BillingInterval.choices, default=BillingInterval.MONTH
    )
    status = models.CharField(
        max_length=10, choices=SubscriptionStatus.choices, default=SubscriptionStatus.TRIAL
    )
    started_on = models.DateField()
    trial_ends_on = models.DateField(null=True, blank=True)
    term_start = models.DateField()
    term_end = models.DateField()
    auto_renew = models.BooleanField(default=True)
    past_due_since = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["status", "term_end"])]

    def __str__(self) -> str:
        return f"{self.merchant_id} on {self.plan_id}"


class PlanChange(models.Model):
    """A mid-term plan change, effective from `effective_on` (fees pro-rate by day)."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="plan_changes"
    )
    from_plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    to_plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    effective_on = models.DateField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["effective_on", "id"]

    def __str__(self) -> str:
        return f"{self.subscription_id}: {self.from_plan_id} -> {self.to_plan_id} on {self.effective_on}"


class SubscriptionEventKind(models.TextChoices):
    STARTED = "started", _("Started")
    CONVERTED = "converted", _("Trial converted")
    RENEWED = "renewed", _("Renewed")
    EXPANSION = "expansion", _("Expansion")
    CONTRACTION = "contraction", _("Contraction")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired (churned)")
    REACTIVATED = "reactivated", _("Reactivated")


class SubscriptionEvent(models.Model):
    """What retention metrics are computed from: each renewal, churn and plan move, with the
    merchant's recurring revenue a month (MRR, subscription fee only) before and after."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="events")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=SubscriptionEventKind.choices)
    occurred_on = models.DateField()
    mrr_before = models.DecimalField(**MONEY)
    mrr_after = models.DecimalField(**MONEY)
    # Renewals are recorded once per term: "renewed:<term_end>".
    unique_key = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "occurred_on"])]

    def __str__(self) -> str:
        return f"{self.merchant_id} {self.kind} {self.occurred_on}"


class TaxRate(models.Model):
    """The tax rate of a region (an ISO country or region code such as CN, HK, DE); it wins
    over the plan's rate for merchants whose billing account is in that region."""

    region = models.CharField(_("region"), max_length=8, unique=True)
    name = models.CharField(_("tax name"), max_length=60, help_text=_("e.g. VAT, GST, 增值税"))
    rate_percent = models.DecimalField(_("rate (%)"), max_digits=6, decimal_places=4)

    class Meta:
        ordering = ["region"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rate_percent__gte=0) & Q(rate_percent__lte=100),
                name="tax_rate_is_a_percentage",
            )
        ]

    def __str__(self) -> str:
        return f"{self.region}: {self.name} {self.rate_percent}%"


class BillingAccount(models.Model):
    """How a merchant pays (its Stripe customer, or bank transfer) and who the invoices are
    addressed to: the legal name, address and tax id printed in the invoice's customer block."""

    class Collection(models.TextChoices):
        STRIPE = "stripe", _("Card (Stripe)")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")

    merchant = models.OneToOneField(
        Merchant, on_delete=models.PROTECT, related_name="billing_account"
    )
    collection_method = models.CharField(
        max_length=16, choices=Collection.choices, default=Collection.STRIPE
    )
    billing_email = models.EmailField(blank=True)
    stripe_customer_id = models.CharField(max_length=64, blank=True)
    legal_name = models.CharField(
        _("legal name"),
        max_length=200,
        blank=True,
        help_text=_("Leave empty to use the shop name."),
    )
    address = models.TextField(_("billing address"), max_length=500, blank=True)
    tax_id = models.CharField(_("tax id (纳税人识别号)"), max_length=40, blank=True)
    region = models.CharField(
        _("tax region"),
        max_length=8,
        blank=True,
        help_text=_("Country or region code, e.g. CN or HK: decides the tax rate."),
    )

    def __str__(self) -> str:
        return f"{self.merchant_id} ({self.collection_method})"


class InvoiceStatus(models.TextChoices):
    """Only a payment (a bank transfer finance records, or Stripe's) makes an invoice PAID.
    An invoice issued at a total of zero has nothing to collect: it is SETTLED on issue,
    with no payment and no `paid_at` (credits beyond its charges were carried forward)."""

    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Issued, unpaid")
    PAID = "paid", _("Paid")
    SETTLED = "settled", _("Issued at zero, nothing to pay")
    VOID = "void", _("Void")


class Invoice(models.Model):
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="invoices")
    period_start = models.DateField()
    period_end = models.DateField()
    currency = models.CharField(max_length=3)
    plan = models.ForeignKey(Plan, null=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=8, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    # A re-issue of a voided invoice points at it; the billing run only writes originals.
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    number = models.CharField(max_length=20, null=True, blank=True, unique=True)
    total = models.DecimalField(**MONEY)
    gmv = models.DecimalField(**MONEY)
    net_gmv = models.DecimalField(**MONEY)
    # The minimum commitment owed for the period (pro-rated), kept to recompute commission
    # when a late refund is credited.
    commitment = models.DecimalField(**EXACT)
    collection_method = models.CharField(
        max_length=16, choices=BillingAccount.Collection.choices, default="stripe"
    )
    # The rate the tax line was computed at (the region's, else the plan's), kept as issued.
    tax_rate_percent = models.DecimalField(max_digits=6, decimal_places=4, default=Decimal("0"))
    tax_name = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    calculated_at = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_on = models.DateField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    payment_failed_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=500, blank=True)
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    stripe_invoice_id = models.CharField(max_length=64, blank=True)
    stripe_hosted_url = models.URLField(max_length=500, blank=True)
    stripe_sync_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-period_start", "merchant_id"]
        constraints = [
            # One invoice per merchant and period, by construction.
            models.UniqueConstraint(
                fields=["merchant", "period_start"],
                condition=Q(replaces__isnull=True),
                name="one_invoice_per_merchant_period",
            ),
            models.UniqueConstraint(
                fields=["merchant", "period_start"],
                condition=~Q(status="void"),
                name="one_live_invoice_per_merchant_period",
            ),
            # Credits beyond an invoice's charges are carried forward, never owed back.
            models.CheckConstraint(condition=Q(total__gte=0), name="invoice_total_not_negative"),
            models.CheckConstraint(
                condition=Q(tax_rate_percent__gte=0) & Q(tax_rate_percent__lte=100),
                name="invoice_tax_rate_is_a_percentage",
            ),
        ]
        indexes = [models.Index(fields=["period_start", "status"])]

    def __str__(self) -> str:
        return self.number or f"draft {self.merchant_id} {self.period_start:%Y-%m}"

    @property
    def is_locked(self) -> bool:
        return self.status != InvoiceStatus.DRAFT


class LineKind(models.TextChoices):
    SUBSCRIPTION = "subscription", _("Subscription")
    COMMISSION = "commission", _("Commission")
    TRUE_UP = "true_up", _("Minimum commitment true-up")
    SEATS = "seats", _("Extra staff seats")
    STORAGE = "storage", _("Extra storage")
    PLUGIN = "plugin", _("Plugin")
    CREDIT = "credit", _("Credit note applied")
    ADJUSTMENT = "adjustment", _("Adjustment")
    # Tax on the charges and adjustments (credit notes are applied after tax: they are
    # amounts the merchant already paid, tax included).
    TAX = "tax", _("Tax")
    # Brings a total that credits pushed below zero back to zero; on issue the same amount
    # becomes a credit note applied to the merchant's next invoice.
    CARRY_FORWARD = "carryforward", _("Credit carried forward to the next invoice")


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=12, choices=LineKind.choices)
    description = models.CharField(max_length=300)
    quantity = models.DecimalField(max_digits=18, decimal_places=4, default=Decimal("1"))
    unit_amount = models.DecimalField(**EXACT)
    # Commission lines: the GMV the rate applies to, and the rate.
    basis = models.DecimalField(null=True, blank=True, max_digits=18, decimal_places=4)
    rate_percent = models.DecimalField(null=True, blank=True, max_digits=6, decimal_places=4)
    exact_amount = models.DecimalField(**EXACT)
    amount = models.DecimalField(**MONEY)
    reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    credit_note = models.OneToOneField(
        "CreditNote", null=True, blank=True, on_delete=models.PROTECT, related_name="applied_line"
    )

    class Meta:
        ordering = ["invoice", "position", "id"]

    def __str__(self) -> str:
        return f"{self.invoice_id}: {self.description}"


class InvoiceSequence(models.Model):
    """Gap-free numbers: the next number is taken under a row lock in the transaction that
    issues the document, so a rolled-back issue gives its number back."""

    name = models.CharField(max_length=20, unique=True)
    last_value = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} at {self.last_value}"


class CreditNoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    VOID = "void", _("Void")


class CreditNote(models.Model):
    """Money given back against an issued invoice. Issued notes are applied as a negative
    line on the merchant's next draft invoice. Credit an invoice could not absorb (its
    charges were smaller) is issued as a note against it on approval, keyed
    "carry-forward:<invoice id>", and so applied to the next invoice exactly once."""

    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="credit_notes")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    number = models.CharField(max_length=20, null=True, blank=True, unique=True)
    status = models.CharField(
        max_length=8, choices=CreditNoteStatus.choices, default=CreditNoteStatus.DRAFT
    )
    amount = models.DecimalField(**MONEY)
    exact_amount = models.DecimalField(**EXACT)
    reason = models.CharField(max_length=500)
    # Credit notes the billing run raises for late refunds are keyed, so a re-run adds none.
    unique_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    pdf = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.number or f"draft credit note {self.pk}"


class DunningReminder(models.Model):
    """One reminder per (invoice, day after the failed payment)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="dunning")
    day = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invoice", "day"], name="dunning_once_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id} day {self.day}"


class RenewalReminder(models.Model):
    """One reminder per (subscription, term, days before its end)."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="renewal_reminders"
    )
    term_end = models.DateField()
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = ArrayField(models.EmailField(), default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "term_end", "days_before"], name="renewal_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.term_end} -{self.days_before}d"


class StripeBillingEvent(models.Model):
    """Platform-account webhook events, stored by unique id so a redelivery changes nothing."""

    event_id = models.CharField(max_length=80, unique=True)
    event_type = models.CharField(max_length=80)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.event_id


AUDIT_ACTIONS = {
    "add_adjustment": _("Adjustment added"),
    "remove_adjustment": _("Adjustment removed"),
    "recalculate": _("Recalculated"),
    "approve": _("Approved and issued"),
    "void": _("Voided"),
    "reissue": _("Re-issued as a draft"),
    "create_credit_note": _("Credit note drafted"),
    "issue_credit_note": _("Credit note issued"),
    "carry_forward_credit": _("Credit carried forward"),
    "void_credit_note": _("Credit note voided"),
    "record_payment": _("Payment recorded"),
    "update_billing_account": _("Billing details changed"),
    "set_tax_rate": _("Tax rate set"),
}


class AuditEntry(models.Model):
    """Every finance action: who, when, what, and the object before and after."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=40)
    merchant = models.ForeignKey(Merchant, null=True, on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="audit"
    )
    credit_note = models.ForeignKey(
        CreditNote, null=True, blank=True, on_delete=models.PROTECT, related_name="audit"
    )
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_id} at {self.at}"

    @property
    def action_label(self) -> str:
        return str(AUDIT_ACTIONS.get(self.action, self.action))

    # Invoice snapshots carry a total, credit-note entries an amount, some neither: the log
    # shows whichever figure there is.
    @property
    def figure_before(self) -> str:
        return _figure(self.before)

    @property
    def figure_after(self) -> str:
        return _figure(self.after)


def _figure(state) -> str:
    if not isinstance(state, dict):
        return ""
    return str(state.get("total") or state.get("amount") or "")
