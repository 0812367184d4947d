"""The card-token field of the pages that take a payment: a gateway token, never a card number."""

from django import forms
from django.conf import settings

from autosales.core.errors import DomainError
from autosales.payments.card_numbers import card_number_refuse, contains_card_number


class CardTokenField(forms.CharField):
    """A gateway token (Stripe.js's `pm_...`, a test-gateway `tok_...`).

    A card number typed here is refused with the field's error, and never shown back in the page.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Card token")
        kwargs.setdefault("max_length", 255)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def bound_data(self, data, initial):
        value = super().bound_data(data, initial)
        return "" if isinstance(value, str) and contains_card_number(value) else value

    def clean(self, value):
        value = super().clean(value)
        try:
            card_number_refuse(value=value, field="payment_token")
        except DomainError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc
        return value


def card_form_config() -> dict | None:
    """What a page needs to collect a card with the gateway's own script, or None when a token is typed (test gateway)."""
    if settings.PAYMENT_PROVIDER != "stripe":
        return None
    # Imported here so installs without the Stripe SDK still run the test gateway.
    from autosales.payments.providers.stripe import client_config

    return client_config()
