from django.urls import path

from autosales.backoffice import views_billing

urlpatterns = [
    path("invoices/", views_billing.invoices, name="invoices"),
    path("invoices/<str:public_id>/", views_billing.invoice_detail, name="invoice_detail"),
    path("invoices/<str:public_id>/pdf/", views_billing.invoice_pdf, name="invoice_pdf"),
]
