from django.urls import path

from autosales.payments import webhooks

app_name = "payments"

urlpatterns = [
    path("webhooks/stripe/", webhooks.stripe_webhook, name="stripe-webhook"),
]
