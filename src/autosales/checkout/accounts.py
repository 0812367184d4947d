"""Charge to account: who may, and whether this order fits under the credit limit."""

from autosales.checkout.errors import CheckoutError
from autosales.core.errors import DomainError
from autosales.core.money import Money
from autosales.customers.models import Organization
from autosales.orders.selectors import account_exposure


def account_unavailable_reason(*, organization: Organization | None) -> DomainError | None:
    """Why this organization cannot charge orders to its account right now (None: it can, credit limit aside)."""
    if organization is None or not organization.has_account_terms:
        return DomainError(
            CheckoutError.ACCOUNT_NO_TERMS,
            "Charging to an account needs account terms; please pay by card or ask us to open an account.",
            "payment",
        )
    if organization.credit_hold:
        return DomainError(
            CheckoutError.ACCOUNT_CREDIT_HOLD,
            "Your account is on credit hold, so orders cannot be charged to it; please pay by card or contact us.",
            "payment",
        )
    return None


def account_charge_check(*, organization: Organization, total: Money) -> None:
    """Raises DomainError(field="payment") unless the organization may charge `total` to its account.

    Holds when it has terms, is not on credit hold, and open balance + unshipped orders + this order
    stay within the credit limit. Call with the organization row locked so two orders cannot both fit.
    """
    reason = account_unavailable_reason(organization=organization)
    if reason is not None:
        raise reason
    exposure = account_exposure(organization=organization)
    limit = Money(organization.credit_limit, organization.currency)
    if total.currency != limit.currency or exposure + total > limit:
        available = max(limit - exposure, Money.zero(limit.currency))
        raise DomainError(
            CheckoutError.ACCOUNT_CREDIT_LIMIT,
            f"This order ({total}) is over your available credit ({available} of your {limit} limit); "
            "please pay by card or contact us.",
            "payment",
        )
