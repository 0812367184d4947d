"""Order again: a past order's preview (what changed since: price, availability) and adding it to the cart."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from autosales.cart.session import cart_for_request
from autosales.checkout.reorder import order_again as order_again_add
from autosales.checkout.reorder import reorder_preview
from autosales.core.errors import NotFound
from autosales.customers.selectors import organization_for_user


@login_required
@require_http_methods(["GET", "POST"])
def order_again(request, public_id: str):
    organization = organization_for_user(user=request.user)
    if organization is None:
        raise Http404("You do not belong to a customer organization.")
    try:
        if request.method == "GET":
            preview = reorder_preview(public_id=public_id, organization=organization, cart=cart_for_request(request))
            return render(request, "storefront/orders/order_again.html", {"reorder": preview})
        cart = cart_for_request(request)
        if cart is None and not reorder_preview(public_id=public_id, organization=organization, cart=None).addable:
            done = None  # nothing to add: no cart is made for it
        else:
            cart = cart or cart_for_request(request, create=True)
            done = order_again_add(public_id=public_id, organization=organization, cart=cart)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    added = done.addable if done is not None else []
    if done is None or not added:
        messages.error(request, "Nothing from this order can be ordered now.")
        return redirect("storefront:order_again", public_id=public_id)
    messages.success(
        request,
        f"Added {len(added)} line{'s' if len(added) != 1 else ''} of order {done.order.number_display} to the cart.",
    )
    for line in done.changes:
        verb = "not added" if not line.added else "added"
        messages.warning(request, f"{line.sku} ({verb}): {line.message}")
    return redirect("storefront:cart")
