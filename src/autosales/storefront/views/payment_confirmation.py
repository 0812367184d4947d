"""The page where a customer confirms, with their bank, a standing-order payment the bank asked about (3-D Secure).

With Stripe, Stripe.js runs the bank's step in the browser with the payment's client secret (read from Stripe
for the page, never stored) and then posts the form; with the test gateway, the confirm button is the bank's
step. Either way the POST asks the gateway how the payment stands and, once it is held, the run is placed.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from autosales.core import clock
from autosales.core.errors import DomainError, NotFound
from autosales.payments.errors import PaymentActionRequired
from autosales.payments.forms import card_form_config
from autosales.payments.models import PaymentStatus
from autosales.payments.services import payment_action_complete, payment_action_details
from autosales.recurring.models import Run
from autosales.recurring.scheduler.dunning import run_payment_confirmed
from autosales.recurring.selectors import run_awaiting_confirmation
from autosales.storefront.views.standing_orders import _customer_standing_order


@login_required
@require_http_methods(["GET", "POST"])
def payment_confirm(request, public_id: str, payment_id: str):
    standing_order = _customer_standing_order(request, public_id)
    try:
        run = run_awaiting_confirmation(standing_order=standing_order, payment_public_id=payment_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    payment = run.action_payment
    # Only a run still on its dunning schedule can use the payment; after its last try it is too late.
    open_run = run.status == Run.Status.RETRYING
    error, status = "", 200
    if request.method == "POST" and not open_run:
        error, status = "This order is no longer waiting for this payment; nothing was charged.", 409
    elif request.method == "POST" and payment.status == PaymentStatus.ACTION_REQUIRED:
        try:
            payment = payment_action_complete(payment=payment)
        except PaymentActionRequired as exc:
            error, status = exc.message, 409
        except DomainError as exc:
            error, status = exc.message, exc.status
    if request.method == "POST" and open_run and payment.status in (PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED):
        run_payment_confirmed(run=run, now=clock.now())
        messages.success(request, "Thank you: the payment is confirmed and your order is being placed.")
        return redirect("storefront:standing_order_detail", public_id=standing_order.public_id)
    waiting = open_run and payment.status == PaymentStatus.ACTION_REQUIRED
    stripe = None
    if waiting and payment.provider == "stripe":
        try:
            stripe = {**card_form_config(), **payment_action_details(payment=payment)}
        except DomainError as exc:
            error, status = exc.message, exc.status
    context = {
        "so": standing_order,
        "run": run,
        "payment": payment,
        "method": standing_order.payment_method,
        "stripe": stripe,
        "test_gateway": payment.provider == "test",
        "waiting": waiting,
        "open_run": open_run,
        "error": error,
    }
    return render(request, "storefront/standing_orders/payment_confirm.html", context, status=status)
