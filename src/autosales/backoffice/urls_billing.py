from django.urls import path

from autosales.backoffice import views_billing, views_receivables

urlpatterns = [
    path("invoices/", views_billing.invoices, name="invoices"),
    path("invoices.csv", views_billing.invoices_csv, name="invoices_csv"),
    path("invoices/<str:public_id>/", views_billing.invoice_detail, name="invoice_detail"),
    path("invoices/<str:public_id>/pdf/", views_billing.invoice_pdf, name="invoice_pdf"),
    path("invoices/<str:public_id>/credit-note/", views_billing.credit_note_new, name="credit_note_new"),
    path("receivables/", views_receivables.receivables, name="receivables"),
    path("overdue/", views_receivables.overdue, name="overdue"),
    path("customers/<str:public_id>/", views_receivables.customer_ledger, name="billing_customer"),
    path(
        "customers/<str:public_id>/statement/", views_receivables.customer_statement, name="billing_customer_statement"
    ),
    path("customers/<str:public_id>/charge/", views_receivables.customer_charge, name="billing_customer_charge"),
    path("payments/", views_receivables.payments, name="payments"),
    path("unmatched/", views_receivables.unmatched, name="unmatched"),
    path("unmatched/<str:public_id>/assign/", views_receivables.unmatched_assign, name="unmatched_assign"),
    path("payments/<str:public_id>/allocate/", views_receivables.payment_allocate_view, name="payment_allocate"),
]
