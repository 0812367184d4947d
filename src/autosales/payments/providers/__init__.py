"""Card-payment providers, chosen by name (settings.PAYMENT_PROVIDER: "test" by default, or "stripe")."""

from django.conf import settings

from autosales.core.errors import DomainError
from autosales.payments.errors import PaymentError
from autosales.payments.providers.base import PaymentProvider
from autosales.payments.providers.test_gateway import TestGateway

PROVIDER_NAMES = ("test", "stripe")


def provider_for(name: str | None = None) -> PaymentProvider:
    """The provider called `name` (default: settings.PAYMENT_PROVIDER)."""
    name = name or settings.PAYMENT_PROVIDER
    if name == "test":
        return TestGateway()
    if name == "stripe":
        # Imported here so installs without the Stripe SDK still run the test gateway.
        from autosales.payments.providers.stripe import StripeProvider

        return StripeProvider()
    raise DomainError(PaymentError.UNKNOWN_PROVIDER, f"No payment provider called {name!r}.", "provider")
