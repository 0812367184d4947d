"""Reads of orders: a customer's own, staff lists with search, one order, and account exposure."""

from decimal import Decimal

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum

from autosales.core.errors import NotFound
from autosales.core.money import Money
from autosales.customers.models import Organization
from autosales.orders.confirmation_numbers import confirmation_number_normalize
from autosales.orders.errors import OrderError
from autosales.orders.models import Order, OrderEvent, OrderLine, OrderStatus, PaymentKind
from autosales.orders.transitions import UNSHIPPED, VISIBLE

S = OrderStatus


def _search(queryset: QuerySet[Order], query: str, *, staff: bool) -> QuerySet[Order]:
    query = " ".join(query.split())
    if not query:
        return queryset
    number = confirmation_number_normalize(query)
    match = Q(customer_reference__icontains=query) | Exists(
        OrderLine.objects.filter(order=OuterRef("pk"), sku__icontains=query)
    )
    if number:
        match |= Q(number__startswith=number)
    if staff:
        match |= Q(organization__name__icontains=query)
    return queryset.filter(match)


def _status(queryset: QuerySet[Order], status: str | None) -> QuerySet[Order]:
    if not status:
        return queryset
    if status not in VISIBLE:
        return queryset.none()
    return queryset.filter(status=status)


def orders_for_organization(
    *, organization: Organization, status: str | None = None, query: str = "", reference: str = ""
) -> QuerySet[Order]:
    """The organization's orders, newest first, by status and PO / reference (contains, any case), and searched by
    number, SKU or reference (fixed query count)."""
    queryset = Order.objects.filter(organization=organization, status__in=VISIBLE).select_related("placed_by")
    reference = " ".join(reference.split())
    if reference:
        queryset = queryset.filter(customer_reference__icontains=reference)
    return _search(_status(queryset, status), query, staff=False)


def orders_for_staff(
    *, status: str | None = None, query: str = "", organization: Organization | None = None
) -> QuerySet[Order]:
    """All orders for the back office, newest first, filtered and searched by number, organization name or SKU."""
    queryset = Order.objects.filter(status__in=VISIBLE).select_related("organization", "placed_by")
    if organization is not None:
        queryset = queryset.filter(organization=organization)
    return _search(_status(queryset, status), query, staff=True)


def _detail(queryset: QuerySet[Order]) -> QuerySet[Order]:
    return queryset.select_related("organization", "placed_by", "shipping_method").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.select_related("variant")),
        Prefetch("events", queryset=OrderEvent.objects.select_related("actor")),
        "payments",
        # The order's shipments (fulfillment's rows, by their reverse relation), with their lines and centers.
        "shipments__lines",
        "shipments__warehouse",
    )


def _only(queryset: QuerySet[Order]) -> Order | None:
    """The one order of a queryset that selects by a unique column (public id, number), or None: unsorted, since
    sorting one row by the orders' default ordering only made the query longer to build."""
    found = list(queryset.order_by()[:1])
    return found[0] if found else None


def order_for_customer(*, public_id: str, organization: Organization) -> Order:
    """The organization's order with this public id, lines and events loaded; NotFound if it is not theirs."""
    order = _only(_detail(Order.objects.filter(public_id=public_id, organization=organization, status__in=VISIBLE)))
    if order is None:
        raise NotFound(OrderError.NOT_FOUND, "No such order.", "order")
    return order


def order_summary_for_customer(*, public_id: str, organization: Organization) -> Order:
    """The organization's order with this public id and its lines (no history): what the confirmation page
    shows, in two queries; NotFound if it is not theirs."""
    queryset = Order.objects.filter(public_id=public_id, organization=organization, status__in=VISIBLE)
    order = _only(queryset.select_related("placed_by").prefetch_related("lines"))
    if order is None:
        raise NotFound(OrderError.NOT_FOUND, "No such order.", "order")
    return order


def order_for_staff(*, public_id: str) -> Order:
    """Any placed order by public id, for the back office; NotFound if there is none."""
    order = _only(_detail(Order.objects.filter(public_id=public_id, status__in=VISIBLE)))
    if order is None:
        raise NotFound(OrderError.NOT_FOUND, "No such order.", "order")
    return order


def order_by_number(*, number: str, organization: Organization | None = None) -> Order:
    """The order with this confirmation number (as typed: any case, with or without dashes)."""
    queryset = Order.objects.filter(number=confirmation_number_normalize(number), status__in=VISIBLE)
    if organization is not None:
        queryset = queryset.filter(organization=organization)
    order = _only(_detail(queryset))
    if order is None:
        raise NotFound(OrderError.NOT_FOUND, "No order has that confirmation number.", "number")
    return order


# Charged to the account and not cancelled or refunded: owed until billing records the payment.
ACCOUNT_OPEN = frozenset(UNSHIPPED | {S.SHIPPED, S.DELIVERED})


def account_exposure(*, organization: Organization) -> Money:
    """What the organization owes or has promised on account (one query): its ledger balance (invoices not yet paid,
    less unused credit, as billing keeps it on the organization) and what its open on-account orders hold that is
    not invoiced yet, shipped or not. Read from a freshly loaded (locked) organization row."""
    uninvoiced = Order.objects.filter(
        organization=organization, payment_kind=PaymentKind.ACCOUNT, status__in=ACCOUNT_OPEN
    ).aggregate(total=Sum(F("total") - F("invoiced_total")))["total"]
    return Money((uninvoiced or Decimal(0)) + organization.account_balance, organization.currency)
