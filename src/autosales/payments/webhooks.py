"""Webhook endpoints: a provider tells us what happened to a payment (authorized, captured, refunded...)."""

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from autosales.core.errors import DomainError
from autosales.payments.services import webhook_apply

log = logging.getLogger(__name__)


@csrf_exempt  # Stripe cannot send a CSRF token; the signature check is what authenticates the call.
@require_POST
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    """Verifies the `Stripe-Signature` and applies the event once; a bad or missing signature is a 400."""
    try:
        record = webhook_apply(provider="stripe", payload=request.body, headers=dict(request.headers))
    except DomainError as exc:
        log.warning("Stripe webhook refused: %s", exc.code)
        body = {
            "code": exc.code,
            "message": exc.message,
            "errors": [{"field": exc.field, "code": exc.code, "message": exc.message}] if exc.field else [],
        }
        return JsonResponse(body, status=400)
    return JsonResponse({"received": True, "event_id": record.event_id, "outcome": record.outcome})
