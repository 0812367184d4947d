"""The cart pages: see the cart, add from a product page, change quantities, remove lines."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from autosales.cart import services
from autosales.cart.errors import CartError
from autosales.cart.selectors import cart_summary
from autosales.cart.services import MAX_LINE_QUANTITY
from autosales.cart.session import cart_for_request
from autosales.catalog.models import Variant
from autosales.checkout.delivery import cheapest_transit, delivery_estimate
from autosales.core.errors import DomainError, NotFound
from autosales.customers.selectors import organization_for_user


class CartAddForm(forms.Form):
    sku = forms.CharField(max_length=64)
    quantity = forms.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY, initial=1)


class CartQuantityForm(forms.Form):
    quantity = forms.IntegerField(min_value=0, max_value=MAX_LINE_QUANTITY)


def _organization(request):
    return organization_for_user(user=request.user) if request.user.is_authenticated else None


def _variant(sku: str) -> Variant:
    variant = Variant.objects.select_related("product").filter(sku=sku).first()
    if variant is None:
        raise NotFound(CartError.VARIANT_NOT_FOUND, f"No product has the SKU {sku!r}.", "sku")
    return variant


def _form_errors(form: forms.Form) -> list[str]:
    return [
        f"{field.replace('_', ' ').capitalize()}: {error}" for field, errors in form.errors.items() for error in errors
    ]


def _render_cart(request, *, errors: list[str] | None = None, status: int = 200):
    summary = cart_summary(cart=cart_for_request(request), organization=_organization(request))
    return render(
        request,
        "storefront/cart/detail.html",
        {
            "summary": summary,
            "delivery": _cart_delivery(summary),
            "errors": errors or [],
            "max_quantity": MAX_LINE_QUANTITY,
            # The header's count from the summary just read, rather than counting the lines again.
            "cart_item_count": summary.item_count,
        },
        status=status,
    )


def _cart_delivery(summary):
    """When the cart would ship and arrive by the cheapest method, from the stock read with it."""
    if summary.is_empty:
        return None
    return delivery_estimate(
        quantities=summary.quantities, available=summary.available_by_warehouse, transit=cheapest_transit()
    )


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


@require_GET
def cart_detail(request):
    return _render_cart(request)


@require_POST
def cart_add(request):
    form = CartAddForm(request.POST)
    if not form.is_valid():
        return _render_cart(request, errors=_form_errors(form), status=400)
    try:
        variant = _variant(form.cleaned_data["sku"])
        services.cart_add(
            cart=cart_for_request(request, create=True), variant=variant, quantity=form.cleaned_data["quantity"]
        )
    except DomainError as error:
        return _render_cart(request, errors=[error.message], status=error.status)
    messages.success(
        request, f"Added {form.cleaned_data['quantity']} × {variant.product.name} ({variant.sku}) to the cart."
    )
    return redirect(_safe_next(request, "storefront:cart"))


@require_POST
def cart_line_update(request, sku: str):
    form = CartQuantityForm(request.POST)
    if not form.is_valid():
        return _render_cart(request, errors=_form_errors(form), status=400)
    cart = cart_for_request(request)
    try:
        variant = _variant(sku)
        if cart is None or not cart.lines.filter(variant=variant).exists():
            raise NotFound(CartError.LINE_NOT_FOUND, f"{sku} is not in the cart.", "sku")
        services.cart_set_quantity(cart=cart, variant=variant, quantity=form.cleaned_data["quantity"])
    except DomainError as error:
        return _render_cart(request, errors=[error.message], status=error.status)
    return redirect("storefront:cart")


@require_POST
def cart_line_remove(request, sku: str):
    cart = cart_for_request(request)
    try:
        variant = _variant(sku)
        if cart is None:
            raise NotFound(CartError.LINE_NOT_FOUND, f"{sku} is not in the cart.", "sku")
        services.cart_remove(cart=cart, variant=variant)
    except DomainError as error:
        return _render_cart(request, errors=[error.message], status=error.status)
    messages.info(request, f"Removed {variant.sku} from the cart.")
    return redirect("storefront:cart")
