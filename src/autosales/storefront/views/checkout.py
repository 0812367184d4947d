"""The checkout pages: address, shipping, payment, review, confirm. Plain forms; JavaScript is never needed
(except Stripe's own card form when the Stripe provider is configured).

The review page signs what it shows (lines, address, shipping, payment, the total) together with a fresh
idempotency key into its Confirm form, so the order placed is the one reviewed, at the total reviewed (a
price that changed meanwhile is refused and the review shown again with the new total), and a double-clicked
Confirm (two identical submissions, whatever the cart or session do in between) is one order and one charge.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from django import forms
from django.contrib import messages
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from autosales.cart.selectors import CartSummary, cart_summary
from autosales.cart.services import cart_clear
from autosales.cart.session import cart_for_request
from autosales.checkout.delivery import Transit, delivery_estimate, requested_date_refuse_early
from autosales.checkout.errors import IdempotencyKeyReused
from autosales.checkout.placement import LineRequest, PaymentRequest, place_order
from autosales.checkout.pricing import Quote, QuoteMemo, quote
from autosales.checkout.selectors import (
    payment_options_for,
    shipping_method_by_code,
    shipping_methods_for,
    shipping_options_for,
    usual_payment_kind,
)
from autosales.core import ids
from autosales.core.errors import DomainError
from autosales.core.money import Money
from autosales.customers.forms import AddressForm, domain_error_to_form
from autosales.customers.models import Address, Organization
from autosales.customers.selectors import (
    address_by_public_id,
    address_find,
    addresses_for_organization,
    organization_for_user,
)
from autosales.customers.services import address_create
from autosales.payments.card_tokens import card_token_problem
from autosales.payments.errors import PaymentUnavailable
from autosales.payments.forms import CardTokenField, card_form_config
from autosales.payments.providers import test_gateway
from autosales.pricing.shipping import ShippingMethod

SESSION_KEY = "checkout"
SIGNING_SALT = "autosales.checkout.confirm"
# A review page older than this must be looked at again before it can be confirmed.
CONFIRM_MAX_AGE_SECONDS = 2 * 60 * 60


@dataclass(frozen=True)
class Checkout:
    """The checkout of one request. The cart and its priced summary are read when first asked for: a step that
    only records a choice (the address, the payment) reads neither, and the next page checks the cart."""

    request: HttpRequest
    organization: Organization
    state: dict

    @cached_property
    def summary(self) -> CartSummary:
        return cart_summary(cart=cart_for_request(self.request), organization=self.organization)

    @cached_property
    def memo(self) -> QuoteMemo:
        """What the page's quotes share: the cart's variants and prices, read once with the cart."""
        return QuoteMemo(
            variants={line.variant.id: line.variant for line in self.summary.lines},
            prices={line.variant.id: line.unit_price for line in self.summary.lines if line.unit_price is not None},
        )

    @property
    def lines(self) -> list[LineRequest]:
        return [LineRequest(variant_id=line.variant.id, quantity=line.quantity) for line in self.summary.lines]


class PaymentForm(forms.Form):
    kind = forms.ChoiceField(choices=[("card", "Pay by card now"), ("account", "Charge to my account")])
    # Refuses a card number before it reaches the session (or anywhere else), and never shows it back.
    payment_token = CardTokenField(strip=True)
    customer_reference = forms.CharField(label="PO / reference", max_length=100, required=False, strip=True)
    # Business accounts only (the page shows it to them): deliver on or before a later date than possible.
    requested_delivery_date = forms.DateField(
        label="Requested delivery date", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def _begin(request, *, cart_checked: bool = True) -> Checkout | HttpResponse:
    """The checkout of this request, or where to send the shopper first (sign in, the cart).

    `cart_checked=False` (a step that only records a choice and moves on) leaves the cart's check to the page
    it moves on to, and so reads the cart only if it shows a page.
    """
    if not request.user.is_authenticated:
        messages.info(request, "Sign in or create an account to check out; your cart is kept.")
        return redirect(f"{reverse('storefront:signin')}?next={reverse('storefront:checkout')}")
    organization = organization_for_user(user=request.user)
    if organization is None:
        return render(request, "storefront/checkout/no_organization.html", status=403)
    state = request.session.get(SESSION_KEY) or {}
    if state.get("organization") != organization.public_id:
        state = {"organization": organization.public_id}
    checkout = Checkout(request=request, organization=organization, state=state)
    if cart_checked:
        if checkout.summary.is_empty:
            messages.info(request, "Your cart is empty.")
            return redirect("storefront:cart")
        if not checkout.summary.can_check_out:
            messages.error(request, "Some lines of your cart cannot be ordered as they are; fix them to check out.")
            return redirect("storefront:cart")
    return checkout


def _save(request, checkout: Checkout, **changes) -> None:
    request.session[SESSION_KEY] = {**checkout.state, **changes}


def _address(checkout: Checkout) -> Address | None:
    return address_find(organization=checkout.organization, public_id=checkout.state.get("address"))


def _shipping_method(checkout: Checkout, address: Address) -> ShippingMethod | None:
    code = checkout.state.get("shipping_method")
    options = shipping_options_for(
        organization=checkout.organization, lines=checkout.lines, address=address, memo=checkout.memo
    )
    return next((option.method for option in options if option.method.code == code), None)


def _delivery(checkout: Checkout, method: ShippingMethod | Transit | None):
    """When the cart would ship and arrive by `method`, from the stock read with the cart."""
    if method is None:
        return None
    return delivery_estimate(
        quantities=checkout.summary.quantities,
        available=checkout.summary.available_by_warehouse,
        transit=method if isinstance(method, Transit) else Transit.of(method),
    )


def _chosen_transit(checkout: Checkout) -> Transit | None:
    """The chosen shipping method's transit days as the shipping step kept them (placing the order checks again)."""
    code, kept = checkout.state.get("shipping_method"), checkout.state.get("shipping_transit")
    if not code or not isinstance(kept, list) or len(kept) != 3:
        return None
    name, low, high = kept
    return Transit(code=code, name=name, transit_min=int(low), transit_max=int(high))


def _requested_date(checkout: Checkout) -> dt.date | None:
    value = checkout.state.get("requested_delivery_date")
    return dt.date.fromisoformat(value) if value else None


def _cart_context(checkout: Checkout) -> dict:
    # The header's cart badge counts the cart this page has read already, rather than asking again.
    return {"summary": checkout.summary, "cart_item_count": checkout.summary.item_count}


def _steps(current: str) -> list[dict]:
    names = [
        ("address", gettext("Address")),
        ("shipping", gettext("Shipping")),
        ("payment", gettext("Payment")),
        ("review", gettext("Review")),
    ]
    index = [n for n, _ in names].index(current)
    return [
        {
            "name": n,
            "label": label,
            "url": reverse(f"storefront:checkout_{n}"),
            "current": n == current,
            "done": i < index,
        }
        for i, (n, label) in enumerate(names)
    ]


def checkout_start(request):
    """On to the first step not done yet, from the choices kept (each step, and the review, checks them again)."""
    checkout = _begin(request, cart_checked=False)
    if isinstance(checkout, HttpResponse):
        return checkout
    if not checkout.state.get("address"):
        return redirect("storefront:checkout_address")
    if not checkout.state.get("shipping_method"):
        return redirect("storefront:checkout_shipping")
    if not checkout.state.get("payment_kind"):
        return redirect("storefront:checkout_payment")
    return redirect("storefront:checkout_review")


@require_http_methods(["GET", "POST"])
def checkout_address(request):
    # A saved address chosen is recorded and the shipping page checks the cart; a page shown reads it.
    choosing_saved = request.method == "POST" and request.POST.get("address", "") not in ("", "new")
    checkout = _begin(request, cart_checked=not choosing_saved)
    if isinstance(checkout, HttpResponse):
        return checkout
    if choosing_saved:
        try:
            address = address_by_public_id(organization=checkout.organization, public_id=request.POST["address"])
        except DomainError as exc:
            return _address_page(request, checkout, error=exc.message, status=exc.status)
        _save(request, checkout, address=address.public_id)
        return redirect("storefront:checkout_shipping")
    return _address_page(request, checkout)


def _address_page(request, checkout: Checkout, *, error: str = "", status: int = 200):
    """The address step's page, and a new address sent from it."""
    addresses = list(addresses_for_organization(organization=checkout.organization))
    chosen = checkout.state.get("address")
    current = next((a for a in addresses if chosen and a.public_id == chosen), None) or next(
        (a for a in addresses if a.is_default), None
    )
    # The new-address form (its country list is most of the page) is shown when asked for: a link opens it.
    new_asked = request.GET.get("new") == "1" or request.POST.get("address") == "new" or not addresses
    form = AddressForm(prefix="new", use_required_attribute=False) if new_asked else None
    if request.method == "POST" and not error:
        choice = request.POST.get("address", "")
        if choice == "new":
            form = AddressForm(request.POST, prefix="new", use_required_attribute=False)
            if form.is_valid():
                fields = {k: v for k, v in form.cleaned_data.items() if k != "make_default"}
                try:
                    address = address_create(
                        organization=checkout.organization,
                        fields=fields,
                        make_default=form.cleaned_data["make_default"],
                    )
                except DomainError as exc:
                    domain_error_to_form(form, exc)
                else:
                    _save(request, checkout, address=address.public_id)
                    return redirect("storefront:checkout_shipping")
            error, status = "Correct the new address below.", 400
        else:
            error, status = "Address: choose an address from your address book or enter a new one.", 400
    return render(
        request,
        "storefront/checkout/address.html",
        {
            "steps": _steps("address"),
            **_cart_context(checkout),
            "addresses": addresses,
            "current": current,
            "form": form,
            "new_selected": (new_asked and request.POST.get("address", "new") == "new") or not addresses,
            "error": error,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def checkout_shipping(request):
    # A method that delivers to the address is recorded without pricing the cart: the review prices it (and
    # sends the shopper back here, saying why, when it cannot); a page shown prices every method.
    posted = request.method == "POST"
    checkout = _begin(request, cart_checked=not posted)
    if isinstance(checkout, HttpResponse):
        return checkout
    address = _address(checkout)
    if address is None:
        return redirect("storefront:checkout_address")
    error, status = "", 200
    if posted:
        code = request.POST.get("shipping_method", "")
        chosen = next((method for method in shipping_methods_for(address=address) if method.code == code), None)
        if chosen is not None:
            # Its transit days too: the payment step shows the delivery dates without reading the method again.
            transit = Transit.of(chosen)
            _save(request, checkout, shipping_method=code, shipping_transit=[transit.name, *transit.days])
            return redirect("storefront:checkout_payment")
        error = (
            "Shipping method: choose one of the methods listed."
            if code
            else "Shipping method: choose how the order should be delivered."
        )
        status = 400
    options = shipping_options_for(
        organization=checkout.organization, lines=checkout.lines, address=address, memo=checkout.memo
    )
    return render(
        request,
        "storefront/checkout/shipping.html",
        {
            "steps": _steps("shipping"),
            **_cart_context(checkout),
            "address": address,
            "options": [
                {"method": option.method, "rate": option.rate, "delivery": _delivery(checkout, option.method)}
                for option in options
            ],
            "selected": checkout.state.get("shipping_method") or (options[0].method.code if options else ""),
            "error": error,
        },
        status=status,
    )


def _payment_context(checkout: Checkout, options: list) -> dict:
    return {
        "steps": _steps("payment"),
        "delivery": _delivery(checkout, _chosen_transit(checkout)),
        "may_request_date": checkout.organization.has_account_terms,
        **_cart_context(checkout),
        "options": options,
        "stripe": card_form_config(),
        "test_tokens": test_gateway.TEST_TOKENS,
    }


@require_http_methods(["GET", "POST"])
def checkout_payment(request):
    # A valid choice is recorded and the review checks the cart (and everything else) again; a page shown reads it.
    posted = request.method == "POST"
    checkout = _begin(request, cart_checked=not posted)
    if isinstance(checkout, HttpResponse):
        return checkout
    if not checkout.state.get("address") if posted else _address(checkout) is None:
        return redirect("storefront:checkout_address")
    options = payment_options_for(organization=checkout.organization)
    may_request_date = checkout.organization.has_account_terms
    initial = {
        "kind": checkout.state.get("payment_kind") or usual_payment_kind(options=options),
        "payment_token": checkout.state.get("payment_token", ""),
        "customer_reference": checkout.state.get("customer_reference", ""),
        "requested_delivery_date": _requested_date(checkout),
    }
    form = PaymentForm(request.POST or None, initial=initial)
    if posted:
        if form.is_valid():
            kind = form.cleaned_data["kind"]
            token = form.cleaned_data["payment_token"]
            option = next((o for o in options if o.kind == kind), None)
            requested = form.cleaned_data["requested_delivery_date"]
            if requested is not None and not may_request_date:
                form.add_error("requested_delivery_date", "Choosing a delivery date is for business accounts.")
            elif requested is not None:
                # Only a requested date needs the cart's delivery estimate (its stock) on this step.
                delivery = _delivery(checkout, _chosen_transit(checkout))
                if delivery is not None:
                    try:
                        requested_date_refuse_early(natural=delivery.promise, requested=requested)
                    except DomainError as exc:
                        form.add_error("requested_delivery_date", exc.message.removeprefix("Requested delivery date: "))
            if kind == "card" and not token:
                form.add_error("payment_token", "Enter your card (a card token for the test gateway).")
            elif kind == "card" and (problem := card_token_problem(token=token)):
                # Checked here, at the card's own step, not first at the gateway after "Confirm".
                form.add_error("payment_token", problem)
            elif option is None or not option.available:
                form.add_error("kind", option.reason if option else "Choose to pay by card.")
            elif not form.errors:
                _save(
                    request,
                    checkout,
                    payment_kind=kind,
                    payment_token=token if kind == "card" else "",
                    customer_reference=form.cleaned_data["customer_reference"],
                    requested_delivery_date=requested.isoformat() if requested else "",
                )
                return redirect("storefront:checkout_review")
        context = _payment_context(checkout, options)
        return render(request, "storefront/checkout/payment.html", {**context, "form": form}, status=400)
    return render(request, "storefront/checkout/payment.html", {**_payment_context(checkout, options), "form": form})


def _signed_request(
    checkout: Checkout, *, address: Address, method: ShippingMethod, key: str, user, total: Money
) -> str:
    return signing.dumps(
        {
            "key": key,
            "total": [str(total.amount), total.currency],
            "organization": checkout.organization.public_id,
            "user": user.pk,
            "lines": [[line.variant_id, line.quantity] for line in checkout.lines],
            "address": address.public_id,
            "shipping_method": method.code,
            "payment_kind": checkout.state.get("payment_kind", ""),
            "payment_token": checkout.state.get("payment_token", ""),
            "customer_reference": checkout.state.get("customer_reference", ""),
            "requested_delivery_date": checkout.state.get("requested_delivery_date", ""),
            # The review showed backordered lines: the order may backorder them (their products allow it).
            "backorder": bool(checkout.summary.backorders),
        },
        salt=SIGNING_SALT,
        compress=True,
    )


def _review(request, checkout: Checkout, *, key: str | None = None, error: str = "", status: int = 200):
    address = _address(checkout)
    if address is None:
        return redirect("storefront:checkout_address")
    method = _shipping_method(checkout, address)
    if method is None:
        if checkout.state.get("shipping_method"):
            messages.error(request, "Shipping method: the method chosen cannot deliver this order; choose another.")
        return redirect("storefront:checkout_shipping")
    if not checkout.state.get("payment_kind"):
        return redirect("storefront:checkout_payment")
    try:
        priced: Quote = quote(
            organization=checkout.organization,
            lines=checkout.lines,
            shipping_method=method,
            shipping_address=address,
            memo=checkout.memo,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("storefront:cart")
    # A fresh key for every review page: a new look is a new submission; the same page sent twice is one.
    key = key or ids.token(24)
    return render(
        request,
        "storefront/checkout/review.html",
        {
            "steps": _steps("review"),
            **_cart_context(checkout),
            "quote": priced,
            "address": address,
            "method": method,
            "payment_kind": checkout.state["payment_kind"],
            "payment_token": checkout.state.get("payment_token", ""),
            "customer_reference": checkout.state.get("customer_reference", ""),
            "requested_delivery_date": _requested_date(checkout),
            "delivery": _delivery(checkout, method),
            "confirm": _signed_request(
                checkout, address=address, method=method, key=key, user=request.user, total=priced.total
            ),
            "error": error,
        },
        status=status,
    )


def checkout_review(request):
    checkout = _begin(request)
    if isinstance(checkout, HttpResponse):
        return checkout
    return _review(request, checkout)


def _unsign(request, organization: Organization) -> dict | None:
    try:
        data = signing.loads(request.POST.get("confirm", ""), salt=SIGNING_SALT, max_age=CONFIRM_MAX_AGE_SECONDS)
    except signing.BadSignature:
        return None
    if data.get("organization") != organization.public_id or data.get("user") != request.user.pk:
        return None
    return data


@require_POST
def checkout_confirm(request):
    if not request.user.is_authenticated:
        return redirect(f"{reverse('storefront:signin')}?next={reverse('storefront:checkout')}")
    organization = organization_for_user(user=request.user)
    if organization is None:
        return render(request, "storefront/checkout/no_organization.html", status=403)
    data = _unsign(request, organization)
    if data is None:
        messages.error(request, "This review page has expired or was changed; please look over your order again.")
        return redirect("storefront:checkout")
    # The cart is read before the order is placed, while the organization read above is still remembered for
    # this request (a write forgets it).
    cart = cart_for_request(request)
    try:
        address = address_by_public_id(organization=organization, public_id=data["address"])
        method = shipping_method_by_code(code=data["shipping_method"])
        order = place_order(
            organization=organization,
            user=request.user,
            lines=[LineRequest(variant_id=v, quantity=q) for v, q in data["lines"]],
            shipping_address=address,
            shipping_method=method,
            payment=PaymentRequest(kind=data["payment_kind"], token=data["payment_token"]),
            idempotency_key=data["key"],
            source="web",
            customer_reference=data["customer_reference"],
            expected_total=Money(Decimal(data["total"][0]), data["total"][1]) if data.get("total") else None,
            requested_delivery_date=(
                dt.date.fromisoformat(data["requested_delivery_date"]) if data.get("requested_delivery_date") else None
            ),
            backorder_where_allowed=bool(data.get("backorder")),
        )
    except PaymentUnavailable as exc:
        # The outcome is unknown: the retry must send the same key, so the gateway charges at most once.
        return _confirm_failed(request, exc, key=data["key"])
    except IdempotencyKeyReused as exc:
        return _confirm_failed(request, exc)
    except DomainError as exc:
        return _confirm_failed(request, exc)
    if cart is not None:
        cart_clear(cart=cart, variant_ids=[v for v, _ in data["lines"]])
    request.session.pop(SESSION_KEY, None)
    return redirect("storefront:order_confirmation", public_id=order.public_id)


def _confirm_failed(request, exc: DomainError, *, key: str | None = None):
    checkout = _begin(request)
    if isinstance(checkout, HttpResponse):
        messages.error(request, exc.message)
        return checkout
    return _review(request, checkout, key=key, error=exc.message, status=exc.status)
