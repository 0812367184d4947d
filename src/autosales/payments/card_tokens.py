"""A card token's shape checked when the customer enters it (the payment step), before any page goes on to
review: a mistyped or pasted-wrong token is named there rather than at the gateway's refusal after "Confirm".

Only what can be known without calling the gateway: the test gateway's tokens are a fixed list; Stripe's
PaymentMethod ids start with "pm_" (tokens from the older Charges API with "tok_"). The gateway still decides.
"""

import re

from django.conf import settings

from autosales.payments.providers.test_gateway import TOKENS

_STRIPE_TOKEN = re.compile(r"^(pm|tok|card)_[A-Za-z0-9_]{6,250}$")


def card_token_problem(*, token: str, provider_name: str | None = None) -> str:
    """Why `token` cannot be a card token of the shop's provider, for people; empty when it may be."""
    name = provider_name or settings.PAYMENT_PROVIDER
    token = (token or "").strip()
    if not token:
        return "Enter your card details."
    if name == "test" and token not in TOKENS:
        return "This is not a test-gateway card; use one of the test tokens listed."
    if name == "stripe" and not _STRIPE_TOKEN.match(token):
        return "The card could not be read; enter it again."
    return ""
