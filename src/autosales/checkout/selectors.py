"""Reads for the checkout pages and API: shipping methods with their rates, payment options."""

from collections.abc import Sequence
from dataclasses import dataclass

from autosales.checkout.accounts import account_unavailable_reason
from autosales.checkout.pricing import LineRequest, QuoteMemo, quote
from autosales.core.cache_versions import DELIVERY, cached_for_versions
from autosales.core.errors import DomainError
from autosales.core.money import Money
from autosales.customers.models import Address, Organization
from autosales.orders.selectors import account_exposure
from autosales.pricing.shipping import ShippingMethod


def _country(address: Address | None) -> str:
    if address is None:
        return ""
    return str(getattr(address.country, "code", address.country) or "")


def shipping_methods_active() -> list[ShippingMethod]:
    """The active shipping methods in their order, shared through the cache until one is changed (the DELIVERY
    version: the shipping-method admin and the demo bump it)."""
    return cached_for_versions(
        name="shipping-methods-active",
        parts=(),
        kinds=(DELIVERY,),
        build=lambda: list(ShippingMethod.objects.filter(is_active=True)),
    )


def shipping_method_by_code(*, code: str) -> ShippingMethod | None:
    """The shipping method with this code: an active one from the shared list, else read (an inactive one is
    refused by checkout with its own message)."""
    for method in shipping_methods_active():
        if method.code == code:
            return method
    return ShippingMethod.objects.filter(code=code).first()


def shipping_methods_for(*, address: Address | None) -> list[ShippingMethod]:
    """Active shipping methods that deliver to the address's country (all active ones when no address yet)."""
    methods = shipping_methods_active()
    country = _country(address)
    return [m for m in methods if not country or m.serves(country)]


@dataclass(frozen=True)
class ShippingOption:
    method: ShippingMethod
    rate: Money


def shipping_options_for(
    *, organization: Organization | None, lines: Sequence[LineRequest], address: Address, memo: QuoteMemo | None = None
) -> list[ShippingOption]:
    """Each method that delivers to the address, with what it would charge for these lines.

    The lines are priced once (`memo`, shared with the request's other quotes), whatever the number of methods.
    """
    memo = memo or QuoteMemo()
    options = []
    for method in shipping_methods_for(address=address):
        try:
            q = quote(
                organization=organization, lines=lines, shipping_method=method, shipping_address=address, memo=memo
            )
        except DomainError:
            continue
        options.append(ShippingOption(method=method, rate=q.shipping))
    return options


@dataclass(frozen=True)
class PaymentOption:
    kind: str  # "card" or "account"
    label: str
    available: bool
    reason: str = ""  # why it is not available
    available_credit: Money | None = None


def payment_options_for(*, organization: Organization | None) -> list[PaymentOption]:
    """Pay by card (always), and charge to account with the reason when it is not offered."""
    options = [PaymentOption(kind="card", label="Pay by card now", available=True)]
    reason = account_unavailable_reason(organization=organization)
    if organization is not None and organization.has_account_terms:
        limit = Money(organization.credit_limit, organization.currency)
        credit = max(limit - account_exposure(organization=organization), Money.zero(limit.currency))
        options.append(
            PaymentOption(
                kind="account",
                label=f"Charge to my account ({organization.terms_label})",
                available=reason is None,
                reason=reason.message if reason else "",
                available_credit=credit,
            )
        )
    elif organization is not None:
        options.append(
            PaymentOption(kind="account", label="Charge to my account", available=False, reason=reason.message)
        )
    return options


def usual_payment_kind(*, options: Sequence[PaymentOption]) -> str:
    """The payment a checkout starts with: on account for a customer who may charge the account (what account
    customers use), else the card."""
    return "account" if any(o.kind == "account" and o.available for o in options) else "card"
