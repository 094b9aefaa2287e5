"""Finance console (/console/billing/) and the merchant's billing page (/manage/billing/)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.models import PlatformRole
from billing import exports, selectors, services
from billing.forms import (
    AdjustmentForm,
    BillingDetailsForm,
    ChangePlanForm,
    CreditNoteForm,
    FinanceBillingAccountForm,
    InvoiceFilterForm,
    PaymentForm,
    PlanTaxRateForm,
    RegionTaxRateForm,
    VoidForm,
)
from billing.models import (
    AuditEntry,
    BillingAccount,
    CreditNote,
    Invoice,
    InvoiceLine,
    Plan,
    Subscription,
    TaxRate,
)
from billing.reminders import catch_up_term
from billing.subscriptions import change_plan, start_subscription
from billing.webhooks import InvalidWebhook, handle_billing_webhook
from core.views import submit_form
from tenants.access import platform_role_required, shop_member_required
from tenants.models import Membership, MembershipRole, Merchant

finance_required = platform_role_required(PlatformRole.FINANCE)


def _filters(form: InvoiceFilterForm) -> selectors.InvoiceFilters:
    if not form.is_valid():
        return selectors.InvoiceFilters()
    data = form.cleaned_data
    return selectors.InvoiceFilters(
        status=data["status"] or "",
        period=data["period"],
        plan_id=data["plan"].pk if data["plan"] else None,
        min_total=data["min_total"],
        max_total=data["max_total"],
        search=data["q"].strip(),
    )


@finance_required
def invoice_list(request):
    form = InvoiceFilterForm(request.GET or None)
    found = selectors.invoices(_filters(form))
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "console/billing/invoices.html",
        {
            "form": form,
            "page": page,
            "totals": selectors.totals_by_currency(found),
            "query": query.urlencode(),
            "credit_notes": selectors.credit_notes_to_review()[:20],
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


def _export_response(rows, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(exports.csv_lines(rows), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@finance_required
def invoices_csv(request):
    form = InvoiceFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return HttpResponseBadRequest(form.errors.as_text())
    found = selectors.invoices(_filters(form))
    return _export_response(exports.invoice_rows(found.iterator()), "invoices.csv")


@finance_required
def lines_csv(request):
    form = InvoiceFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return HttpResponseBadRequest(form.errors.as_text())
    found = selectors.invoices(_filters(form))
    lines = (
        InvoiceLine.objects.filter(invoice__in=found.values("pk"))
        .select_related("invoice__merchant")
        .order_by(
            "invoice__period_start", "invoice__merchant__name", "invoice_id", "position", "id"
        )
    )
    return _export_response(exports.line_rows(lines.iterator()), "invoice-lines.csv")


def _detail(request, invoice: Invoice, *, status: int = 200, **forms):
    context = {
        "invoice": invoice,
        "lines": invoice.lines.select_related("created_by"),
        "breakdown": selectors.gmv_breakdown(invoice),
        "credit_notes": invoice.credit_notes.all(),
        "audit": invoice.audit.select_related("actor")[:50],
        "adjustment_form": forms.get("adjustment_form") or AdjustmentForm(),
        "void_form": forms.get("void_form") or VoidForm(),
        "credit_form": forms.get("credit_form") or CreditNoteForm(),
        "payment_form": forms.get("payment_form") or PaymentForm(),
    }
    return render(request, "console/billing/invoice_detail.html", context, status=status)


def _invoice(invoice_id: int) -> Invoice:
    return get_object_or_404(
        Invoice.objects.select_related("merchant", "plan", "replaces"), pk=invoice_id
    )


@finance_required
def invoice_detail(request, invoice_id: int):
    return _detail(request, _invoice(invoice_id))


def _errors_about_the_invoice(form, error: ValidationError) -> None:
    """A refusal about the invoice itself (not one of the form's fields) reads as the form's
    own error: the page is the invoice's."""
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


def _act(request, invoice_id: int, form_class, form_name: str, action, done: str):
    """Run a finance action from a posted form; a refused one re-renders with a 400."""
    invoice = _invoice(invoice_id)
    form = form_class(request.POST)
    return submit_form(
        request,
        form,
        lambda data: action(invoice, data),
        done=done,
        redirect_to=lambda result: reverse(
            "billing_invoice", args=[(result if isinstance(result, Invoice) else invoice).pk]
        ),
        show_errors=_errors_about_the_invoice,
    ) or _detail(request, _invoice(invoice_id), status=400, **{form_name: form})


@finance_required
@require_POST
def invoice_adjust(request, invoice_id: int):
    return _act(
        request,
        invoice_id,
        AdjustmentForm,
        "adjustment_form",
        lambda invoice, data: services.add_adjustment(
            invoice.pk, amount=data["amount"], reason=data["reason"], actor=request.user
        ),
        _("Adjustment added."),
    )


@finance_required
@require_POST
def invoice_remove_adjustment(request, invoice_id: int, line_id: int):
    try:
        services.remove_adjustment(invoice_id, line_id, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _detail(request, _invoice(invoice_id), status=400)
    messages.success(request, _("Adjustment removed."))
    return redirect("billing_invoice", invoice_id)


def _simple_action(request, invoice_id: int, action, done: str):
    try:
        result = action()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _detail(request, _invoice(invoice_id), status=400)
    messages.success(request, done)
    return redirect("billing_invoice", result.pk if isinstance(result, Invoice) else invoice_id)


@finance_required
@require_POST
def invoice_recalculate(request, invoice_id: int):
    return _simple_action(
        request,
        invoice_id,
        lambda: services.recalculate(invoice_id, actor=request.user),
        _("Recalculated from the ledger."),
    )


@finance_required
@require_POST
def invoice_approve(request, invoice_id: int):
    return _simple_action(
        request,
        invoice_id,
        lambda: services.approve(invoice_id, actor=request.user),
        _("Invoice approved and issued."),
    )


@finance_required
@require_POST
def invoice_void(request, invoice_id: int):
    return _act(
        request,
        invoice_id,
        VoidForm,
        "void_form",
        lambda invoice, data: services.void_invoice(
            invoice.pk, reason=data["reason"], reissue=data["reissue"], actor=request.user
        ),
        _("Invoice voided."),
    )


@finance_required
@require_POST
def invoice_credit(request, invoice_id: int):
    return _act(
        request,
        invoice_id,
        CreditNoteForm,
        "credit_form",
        lambda invoice, data: services.create_credit_note(
            invoice.pk, amount=data["amount"], reason=data["reason"], actor=request.user
        ),
        _("Credit note drafted; issue it to apply it."),
    )


@finance_required
@require_POST
def invoice_record_payment(request, invoice_id: int):
    return _act(
        request,
        invoice_id,
        PaymentForm,
        "payment_form",
        lambda invoice, data: services.record_payment(
            invoice.pk, reference=data["reference"], actor=request.user
        ),
        _("Payment recorded."),
    )


@finance_required
@require_POST
def credit_note_issue(request, note_id: int):
    note = get_object_or_404(CreditNote, pk=note_id)
    try:
        services.issue_credit_note(note.pk, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Credit note issued."))
    return redirect("billing_invoice", note.invoice_id)


def _pdf_response(data: bytes | None, filename: str) -> HttpResponse:
    if not data:
        raise Http404
    response = HttpResponse(bytes(data), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@finance_required
def invoice_pdf(request, invoice_id: int):
    invoice = get_object_or_404(Invoice, pk=invoice_id)
    return _pdf_response(invoice.pdf, f"{invoice.number}.pdf")


@finance_required
def credit_note_pdf(request, note_id: int):
    note = get_object_or_404(CreditNote, pk=note_id)
    return _pdf_response(note.pdf, f"{note.number}.pdf")


@finance_required
def audit_log(request):
    page = Paginator(
        AuditEntry.objects.select_related("actor", "merchant", "invoice", "credit_note"), 100
    ).get_page(request.GET.get("page"))
    return render(request, "console/billing/audit.html", {"page": page})


@csrf_exempt
@require_POST
def stripe_billing_webhook(request):
    try:
        result = handle_billing_webhook(request.body, request.headers.get("Stripe-Signature", ""))
    except InvalidWebhook:
        return HttpResponseBadRequest("invalid signature")
    return HttpResponse(result)


# -- the merchant's side -------------------------------------------------------------------


def _is_owner(request) -> bool:
    return Membership.objects.filter(
        user=request.user, merchant=request.tenant, role=MembershipRole.OWNER
    ).exists()


def _account_of(merchant: Merchant) -> BillingAccount:
    """The merchant's billing account, or an unsaved one: neither a visit nor a refused
    form creates it (`services.update_billing_account` does, with valid details)."""
    return BillingAccount.objects.filter(merchant=merchant).first() or BillingAccount(
        merchant=merchant
    )


def _manage_page(request, *, form=None, details_form=None, status: int = 200):
    merchant = request.tenant
    subscription = start_subscription(merchant)
    catch_up_term(subscription)
    subscription.refresh_from_db()
    account = _account_of(merchant)
    return render(
        request,
        "manage/billing.html",
        {
            "subscription": subscription,
            "overview": selectors.subscription_overview(subscription),
            "estimate": selectors.estimate_this_month(subscription),
            "usage": selectors.usage_this_period(subscription),
            "invoices": selectors.merchant_invoices(merchant)[:24],
            "plans": Plan.objects.filter(is_active=True).prefetch_related("tiers"),
            "form": form or ChangePlanForm(initial={"plan": subscription.plan_id}),
            "account": account,
            "details_form": details_form or BillingDetailsForm(instance=account),
            "is_owner": _is_owner(request),
        },
        status=status,
    )


@shop_member_required
def manage_billing(request):
    if request.method != "POST":
        return _manage_page(request)
    subscription = start_subscription(request.tenant)
    form = ChangePlanForm(request.POST)
    if not _is_owner(request):
        form.add_error(None, _("Only the shop's owner can change its plan."))
        return _manage_page(request, form=form, status=403)
    if form.is_valid():
        try:
            change_plan(subscription, to_plan=form.cleaned_data["plan"], actor=request.user)
        except ValidationError as error:
            form.add_error("plan", error.message_dict.get("plan", error.messages))
        else:
            messages.success(request, _("Your plan is changed; fees pro-rate from today."))
            return redirect("manage_billing")
    return _manage_page(request, form=form, status=400)


@shop_member_required
@require_POST
def manage_billing_details(request):
    form = BillingDetailsForm(request.POST, instance=_account_of(request.tenant))
    if not _is_owner(request):
        form.add_error(None, _("Only the shop's owner can change its billing details."))
        return _manage_page(request, details_form=form, status=403)
    if not form.is_valid():
        return _manage_page(request, details_form=form, status=400)
    services.update_billing_account(request.tenant.pk, form=form, actor=request.user)
    messages.success(request, _("Billing details saved; your next invoices are addressed so."))
    return redirect("manage_billing")


@finance_required
def tax_rates(request):
    region_form = RegionTaxRateForm(request.POST if "region" in request.POST else None)
    plan_form = PlanTaxRateForm(request.POST if "plan" in request.POST else None)
    if request.method == "POST":
        if region_form.is_bound and region_form.is_valid():
            services.set_region_tax_rate(**region_form.cleaned_data, actor=request.user)
            messages.success(request, _("Tax rate saved; drafts use it when recalculated."))
            return redirect("billing_tax_rates")
        if plan_form.is_bound and plan_form.is_valid():
            data = plan_form.cleaned_data
            services.set_plan_tax_rate(
                data["plan"], rate_percent=data["rate_percent"], actor=request.user
            )
            messages.success(request, _("Tax rate saved; drafts use it when recalculated."))
            return redirect("billing_tax_rates")
        if not (region_form.is_bound or plan_form.is_bound):
            region_form = RegionTaxRateForm(request.POST)
            region_form.is_valid()
    return render(
        request,
        "console/billing/tax_rates.html",
        {
            "rates": TaxRate.objects.all(),
            "plans": Plan.objects.all(),
            "region_form": region_form,
            "plan_form": plan_form,
        },
        status=400 if request.method == "POST" else 200,
    )


@finance_required
def billing_account(request, merchant_id: int):
    merchant = get_object_or_404(Merchant.objects.exclude(schema_name="public"), pk=merchant_id)
    form = FinanceBillingAccountForm(request.POST or None, instance=_account_of(merchant))
    if request.method == "POST" and form.is_valid():
        services.update_billing_account(merchant.pk, form=form, actor=request.user)
        messages.success(request, _("Billing details saved."))
        return redirect("billing_account", merchant.pk)
    subscription = Subscription.objects.filter(merchant=merchant).select_related("plan").first()
    return render(
        request,
        "console/billing/account.html",
        {
            "merchant": merchant,
            "form": form,
            "overview": selectors.subscription_overview(subscription) if subscription else None,
            "invoices": Invoice.objects.filter(merchant=merchant).defer("pdf")[:24],
        },
        status=400 if request.method == "POST" else 200,
    )


@shop_member_required
def manage_invoice_pdf(request, invoice_id: int):
    invoice = get_object_or_404(
        selectors.merchant_invoices(request.tenant).defer(None), pk=invoice_id
    )
    return _pdf_response(invoice.pdf, f"{invoice.number}.pdf")
