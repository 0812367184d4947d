from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from autosales.core import ids
from autosales.core.models import BaseModel
from autosales.jobs.claims import Claimable


class OutboxEmail(BaseModel, Claimable):
    """An email owed by a business event, written in the event's transaction and delivered later by a job.

    Status changes only through `notifications.transitions`.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    public_id = models.CharField(max_length=32, unique=True, default=ids.public_id, editable=False)
    # Without angle brackets; the Message-ID header is "<message_id>".
    message_id = models.CharField(max_length=255, unique=True)
    to = models.JSONField(default=list)
    cc = models.JSONField(default=list, blank=True)
    bcc = models.JSONField(default=list, blank=True)
    reply_to = models.JSONField(default=list, blank=True)
    from_email = models.CharField(max_length=255)
    # Empty until a template email is rendered at delivery (see `template`, `context`, `time_zone`).
    subject = models.CharField(max_length=998, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    # [{"filename": ..., "mimetype": ..., "content_b64": ...}] for messages that Django code sent with files.
    attachments = models.JSONField(default=list, blank=True)
    template = models.CharField(max_length=200, blank=True)
    # A security email (see notifications.sensitivity): its body is shown to its recipient only.
    sensitive = models.BooleanField(default=False)
    # What the template is rendered with at delivery (`notifications.context`: ids and plain values).
    context = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    # The zone the recipient reads times in, active while the template renders; blank: the shop's.
    time_zone = models.CharField(max_length=64, blank=True)
    # The language the template is rendered in (a code from settings.LANGUAGES); blank: the shop's (LANGUAGE_CODE).
    language = models.CharField(max_length=16, blank=True)
    related_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    related_id = models.CharField(max_length=64, blank=True)
    related = GenericForeignKey("related_type", "related_id")

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # How it left: "smtp", "mailbox" (kept for the back-office mailbox), "console".
    transport = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("view_outbox", "Can see every email in the outbox and the mailbox")]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["related_type", "related_id"], name="outbox_related"),
            models.Index(fields=["transport", "-sent_at"], name="outbox_mailbox"),
        ]

    def __str__(self) -> str:
        return f"{self.subject or self.template} → {', '.join(self.to)}"

    @property
    def is_rendered(self) -> bool:
        """A template email gets its subject and bodies when delivery first renders it."""
        return bool(self.body_text or self.body_html or not self.template)

    @property
    def to_display(self) -> str:
        return ", ".join(self.to)


class Notification(BaseModel):
    """An in-app message to one user (staff alerts): read in the back office, marked read there."""

    public_id = models.CharField(max_length=32, unique=True, default=ids.public_id, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
