"""Payment methods on file: a card saved at the gateway so it can be charged while the customer is away.

Only the gateway's references are kept (customer, method) with the brand, last 4 digits and expiry a person
needs to recognize the card. Saving calls the gateway: call it outside any transaction.
"""

import hashlib
import logging

from autosales.core.errors import DomainError
from autosales.payments.card_numbers import card_number_refuse
from autosales.payments.errors import PaymentError, PaymentUnavailable
from autosales.payments.models import PaymentMethodOnFile
from autosales.payments.providers import provider_for
from autosales.payments.providers.base import FailureKind, ProviderError

log = logging.getLogger(__name__)

NOT_SAVED_MESSAGE = "This card could not be saved for later orders. Please use another card or contact your bank."


def payment_method_save(*, organization, token: str, field: str = "payment.token") -> PaymentMethodOnFile:
    """Saves the card behind `token` for `organization` at the configured gateway (its one gateway customer).

    Saving the same token again returns the same method. Raises DomainError naming `field` when the card
    is refused (or is a card number), PaymentUnavailable when the gateway did not answer.
    """
    card_number_refuse(value=token, field=field)
    provider = provider_for()
    existing = PaymentMethodOnFile.objects.filter(
        organization=organization, provider=provider.name, method_reference=token
    ).first()
    if existing is not None:
        return existing
    customer = (
        PaymentMethodOnFile.objects.filter(organization=organization, provider=provider.name)
        .values_list("customer_reference", flat=True)
        .first()
    )
    digest = hashlib.sha256(token.encode()).hexdigest()[:24]
    try:
        saved = provider.method_save(
            token=token,
            customer=customer or "",
            description=f"{organization} ({organization.public_id})",
            idempotency_key=f"method:{organization.public_id}:{digest}",
        )
    except ProviderError as exc:
        log.info("payment method for %s not saved: %s", organization.public_id, exc.kind)
        if exc.kind == FailureKind.NETWORK:
            raise PaymentUnavailable(PaymentError.NETWORK, exc.message, field) from exc
        raise DomainError(PaymentError.METHOD_NOT_SAVED, NOT_SAVED_MESSAGE, field) from exc
    method, _ = PaymentMethodOnFile.objects.get_or_create(
        organization=organization,
        provider=provider.name,
        method_reference=saved.method_reference,
        defaults={
            "customer_reference": saved.customer_reference,
            "brand": saved.brand[:32],
            "last4": saved.last4[-4:],
            "exp_month": saved.exp_month,
            "exp_year": saved.exp_year,
        },
    )
    return method
