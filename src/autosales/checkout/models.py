from django.conf import settings
from django.db import models

from autosales.core.models import BaseModel
from autosales.customers.models import Organization


class CheckoutAttempt(BaseModel):
    """One checkout submission, found by its idempotency key: at most one order and one charge come of it.

    The unique (organization, key) pair makes two simultaneous submissions with one key meet on one row;
    `claimed_until` says that a request is working on it (calling the gateway) so the other waits for it.
    """

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="checkout_attempts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    idempotency_key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="checkout_attempts"
    )
    claimed_until = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    error_field = models.CharField(max_length=60, blank=True)
    error_message = models.TextField(blank=True)
    # The first answer an API client got for this key (status code and JSON body) and the hash of the body it
    # sent: the same body sent again gets this answer again, whatever happened to the order since.
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    response_request_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "idempotency_key"], name="checkout_attempt_once_per_key")
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"checkout {self.idempotency_key} ({self.status})"
