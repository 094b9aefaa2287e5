from django.urls import path

from billing import views

urlpatterns = [
    path("", views.invoice_list, name="console_billing"),
    path("invoices.csv", views.invoices_csv, name="billing_invoices_csv"),
    path("lines.csv", views.lines_csv, name="billing_lines_csv"),
    path("audit/", views.audit_log, name="billing_audit"),
    path("invoices/<int:invoice_id>/", views.invoice_detail, name="billing_invoice"),
    path("invoices/<int:invoice_id>/pdf/", views.invoice_pdf, name="billing_invoice_pdf"),
    path("invoices/<int:invoice_id>/adjust/", views.invoice_adjust, name="billing_invoice_adjust"),
    path(
        "invoices/<int:invoice_id>/adjustments/<int:line_id>/remove/",
        views.invoice_remove_adjustment,
        name="billing_invoice_remove_adjustment",
    ),
    path(
        "invoices/<int:invoice_id>/recalculate/",
        views.invoice_recalculate,
        name="billing_invoice_recalculate",
    ),
    path(
        "invoices/<int:invoice_id>/approve/", views.invoice_approve, name="billing_invoice_approve"
    ),
    path("invoices/<int:invoice_id>/void/", views.invoice_void, name="billing_invoice_void"),
    path("invoices/<int:invoice_id>/credit/", views.invoice_credit, name="billing_invoice_credit"),
    path(
        "invoices/<int:invoice_id>/payment/",
        views.invoice_record_payment,
        name="billing_invoice_payment",
    ),
    path("credit-notes/<int:note_id>/issue/", views.credit_note_issue, name="billing_credit_issue"),
    path("credit-notes/<int:note_id>/pdf/", views.credit_note_pdf, name="billing_credit_pdf"),
    path("merchants/<int:merchant_id>/account/", views.billing_account, name="billing_account"),
    path("tax-rates/", views.tax_rates, name="billing_tax_rates"),
]

manage_urlpatterns = [
    path("", views.manage_billing, name="manage_billing"),
    path("details/", views.manage_billing_details, name="manage_billing_details"),
    path("invoices/<int:invoice_id>/pdf/", views.manage_invoice_pdf, name="manage_invoice_pdf"),
]
