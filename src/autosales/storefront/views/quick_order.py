"""Quick order: a business buyer types, pastes or uploads SKU + quantity lines and adds them to the cart at once.

Without JavaScript the form is sent and the page answers with each line's verdict; with it, the lines are
checked as they are typed through a small JSON endpoint (`quick_order_check`). Nothing is added while any
line is wrong unless the buyer asks to add only the good lines (cart/quick_order.py says why).
"""

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from autosales.cart.quick_order import MAX_LINES, QuickOrderCheck, quick_order_add, quick_order_csv_text
from autosales.cart.quick_order import quick_order_text_check as text_check
from autosales.cart.session import cart_for_request
from autosales.core.errors import DomainError
from autosales.customers.selectors import organization_for_user

MAX_UPLOAD_BYTES = 64_000


def _organization(request):
    return organization_for_user(user=request.user) if request.user.is_authenticated else None


def _render(request, *, text: str = "", check: QuickOrderCheck | None = None, error: str = "", status: int = 200):
    return render(
        request,
        "storefront/quick_order.html",
        {"text": text, "check": check, "error": error, "max_lines": MAX_LINES},
        status=status,
    )


def _text(request) -> str:
    """The lines sent: the uploaded CSV file's when there is one, else the text box's."""
    upload = request.FILES.get("file")
    if upload is not None:
        if upload.size > MAX_UPLOAD_BYTES:
            raise DomainError("quick_order_invalid", f"File: at most {MAX_UPLOAD_BYTES // 1000} kB.", "file")
        return quick_order_csv_text(upload.read())
    return request.POST.get("lines", "")


def _add(request, *, text: str, skip_invalid: bool = False) -> QuickOrderCheck:
    """quick_order_add on the request's cart; a shopper without a cart gets one only when lines are added (bad
    input changes nothing, not even by creating an empty cart)."""
    organization = _organization(request)
    cart = cart_for_request(request)
    if cart is None:
        check = text_check(text=text, cart=None, organization=organization)
        if check.error or not check.good_lines or (check.bad_lines and not skip_invalid):
            return check
        cart = cart_for_request(request, create=True)
    return quick_order_add(cart=cart, text=text, organization=organization, skip_invalid=skip_invalid)


@require_http_methods(["GET", "POST"])
def quick_order(request):
    if request.method == "GET":
        return _render(request)
    try:
        text = _text(request)
    except DomainError as exc:
        return _render(request, text=request.POST.get("lines", ""), error=exc.message, status=exc.status)
    skip_invalid = request.POST.get("skip_invalid") == "1"
    try:
        check = _add(request, text=text, skip_invalid=skip_invalid)
    except DomainError as exc:
        return _render(request, text=text, error=exc.message, status=exc.status)
    if not check.added:
        error = check.error or (
            f"Nothing was added: {len(check.bad_lines)} of {len(check.lines)} lines need fixing (see below)."
        )
        return _render(request, text=text, check=check, error=error, status=400)
    units = sum(line.quantity or 0 for line in check.added)
    skipped = f" {len(check.bad_lines)} lines were left out." if check.bad_lines else ""
    messages.success(
        request, f"Added {len(check.added)} line{'s' if len(check.added) != 1 else ''} ({units:,} units).{skipped}"
    )
    return redirect("storefront:cart")


@require_POST
def quick_order_check(request):
    """The verdict on each line as JSON, for the page's script: nothing is changed. 400 when a line is wrong."""
    try:
        text = _text(request)
    except DomainError as exc:
        return JsonResponse({"ok": False, "error": exc.message, "field": exc.field, "lines": []}, status=400)
    check = text_check(text=text, cart=cart_for_request(request), organization=_organization(request))
    return JsonResponse(check.as_dict(), status=200 if check.ok else 400)


@require_POST
def cart_add_many(request):
    """The product page's variant table: a quantity per variant, one submit, checked like a quick order (a blank
    or 0 quantity is skipped); every row is added, or none, with each wrong row named."""
    skus, quantities = request.POST.getlist("sku"), request.POST.getlist("quantity")
    if len(skus) != len(quantities) or len(skus) > MAX_LINES:
        return _render(request, error="Quantity: one quantity per variant.", status=400)
    rows = []
    for sku, quantity in zip(skus, quantities, strict=True):
        quantity = quantity.strip()
        if quantity in ("", "0"):
            continue
        rows.append(f"{sku}\t{quantity}")
    if not rows:
        return _render(request, error="Quantity: enter a quantity for at least one variant.", status=400)
    text = "\n".join(rows)
    try:
        check = _add(request, text=text)
    except DomainError as exc:
        return _render(request, text=text, error=exc.message, status=exc.status)
    if not check.added:
        return _render(
            request, text=text, check=check, error="Nothing was added: " + "; ".join(check.errors), status=400
        )
    units = sum(line.quantity or 0 for line in check.added)
    names = ", ".join(f"{line.quantity:,} × {line.sku}" for line in check.added)
    messages.success(request, f"Added {names} to the cart ({units:,} units).")
    return redirect("storefront:cart")
