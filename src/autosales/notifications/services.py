"""Writes for the outbox and in-app notifications."""

from __future__ import annotations

import base64
import re
import zoneinfo
from collections.abc import Iterable
from email.utils import parseaddr

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import models, transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import strip_tags

from autosales.core import clock, ids
from autosales.core.errors import DomainError, NotFound
from autosales.core.timezones import time_zone_or_shop
from autosales.notifications.context import context_dump, context_load, context_load_from
from autosales.notifications.errors import NotificationError
from autosales.notifications.mime import is_plain_address
from autosales.notifications.models import Notification, OutboxEmail
from autosales.notifications.sensitivity import email_is_sensitive
from autosales.notifications.transitions import outbox_requeue

DELIVERY_JOB = "outbox.deliver"
_MESSAGE_ID = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.@-]{1,250}$")


def _domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "localhost"


def message_id_normalize(value: str) -> str:
    """A message id as stored: without angle brackets, with "@domain" added when it has none."""
    value = value.strip().removeprefix("<").removesuffix(">")
    if "@" not in value:
        value = f"{value}@{_domain()}"
    if not _MESSAGE_ID.match(value):
        raise DomainError(
            NotificationError.INVALID_MESSAGE_ID,
            "A message id may only hold letters, digits and . - _ @ + = (no spaces or brackets).",
            field="message_id",
        )
    return value


def recipients_check(value: str | Iterable[str], *, field: str) -> list[str]:
    """The addresses without blanks; raises DomainError naming `field` for one that is not an email address."""
    addresses = [value] if isinstance(value, str) else list(value)
    addresses = [a.strip() for a in addresses if a and a.strip()]
    for address in addresses:
        try:
            # A bare address is its own mailbox: the (slow) parser is for "Name <address>".
            validate_email(address if is_plain_address(address) else (parseaddr(address)[1] or address))
        except ValidationError:
            raise DomainError(
                NotificationError.INVALID_RECIPIENT, f"{address!r} is not an email address.", field=field
            ) from None
    return addresses


def _wake_delivery() -> None:
    # Worker processes hear of the email from the outbox table's trigger on PostgreSQL (a NOTIFY sent by the
    # insert itself, migration 0006); the runner in this process and Celery are woken when the caller commits.
    from autosales.jobs.services import job_wake

    transaction.on_commit(lambda: job_wake(name=DELIVERY_JOB))


def email_render(
    *, template: str, context: dict, time_zone: str | None = None, language: str | None = None
) -> tuple[str, str, str]:
    """(subject, text, html) of `emails/<template>`, branded from settings.SHOP, its times in `time_zone` and its
    words and money in `language` (blank: the shop's); the same output for the same input."""
    full = {**context, "shop": settings.SHOP, "base_url": settings.SHOP["base_url"].rstrip("/")}
    try:
        with (
            timezone.override(zoneinfo.ZoneInfo(time_zone_or_shop(time_zone))),
            translation.override(language or settings.LANGUAGE_CODE),
        ):
            subject = render_to_string(f"emails/{template}.subject.txt", full)
            text = render_to_string(f"emails/{template}.txt", full)
            html = render_to_string(f"emails/{template}.html", full)
    except TemplateDoesNotExist as exc:
        raise DomainError(
            NotificationError.UNKNOWN_TEMPLATE, f"There is no email template {exc.args[0]!r}.", field="template"
        ) from None
    return " ".join(subject.split()), text.strip() + "\n", html


def email_queue(
    *,
    to: str | list[str],
    template: str,
    context: dict,
    related: models.Model | None = None,
    message_id: str | None = None,
    time_zone: str | None = None,
    language: str | None = None,
    first: bool = False,
    attachments: list[dict] | None = None,
) -> OutboxEmail:
    """Write one outbox row in the caller's transaction: the template and its context, rendered at delivery; the same message id is queued once.

    `first`: the caller's change happens once (a guarded status move) and owes this message id, so nothing can
    have queued it before: it is written without looking (its unique message id still refuses a second).

    Nothing here can fail on the email's content (a broken template, a bad address, an unknown time zone):
    that is found at delivery and fails that email alone, never the business change that owes it.
    `time_zone` (an IANA name) is active while the email is rendered, so its dates read in the recipient's zone;
    `language` (a code from settings.LANGUAGES; blank: the shop's) likewise, so it reads in the recipient's language.
    `attachments`: rows from `notifications.attachments.attachment_reference`, made at delivery (a PDF of an invoice).
    """
    recipients = [to] if isinstance(to, str) else list(to)
    recipients = [address.strip() for address in recipients if address and address.strip()]
    if not recipients:
        raise DomainError(NotificationError.NO_RECIPIENT, "An email needs at least one recipient.", field="to")
    if message_id is not None:
        message_id = message_id_normalize(message_id)
        existing = None if first else OutboxEmail.objects.filter(message_id=message_id).first()
        if existing is not None:
            return existing
    else:
        message_id = f"{ids.public_id()}@{_domain()}"
    email = OutboxEmail.objects.create(
        message_id=message_id,
        to=recipients,
        from_email=settings.DEFAULT_FROM_EMAIL,
        template=template,
        sensitive=email_is_sensitive(template=template),
        context=context_dump(context),
        # Kept to the column's size: an unusable name fails the email at delivery, not the caller here.
        time_zone=(time_zone or "")[: OutboxEmail._meta.get_field("time_zone").max_length],
        language=(language or "")[: OutboxEmail._meta.get_field("language").max_length],
        related_type=ContentType.objects.get_for_model(related) if related is not None else None,
        related_id=str(related.pk) if related is not None else "",
        attachments=list(attachments or []),
        next_attempt_at=clock.now(),
    )
    _wake_delivery()
    return email


def outbox_email_render(
    *, email: OutboxEmail, loaded: dict[tuple[str, str], models.Model] | None = None
) -> tuple[str, str, str]:
    """(subject, text, html) of a queued template email, from its kept context, in its time zone; raises what breaks.

    The addresses are checked here too: like the template, they are only known to be usable at delivery.
    `loaded`: the objects a batch of emails refers to (`context.references_load`), so that each email of the
    batch does not load its own.
    """
    recipients_check(email.to, field="to")
    context = context_load(email.context) if loaded is None else context_load_from(email.context, loaded=loaded)
    return email_render(template=email.template, context=context, time_zone=email.time_zone, language=email.language)


def _attachment_rows(message: EmailMessage) -> list[dict]:
    rows = []
    for attachment in message.attachments:
        if isinstance(attachment, tuple):
            filename, content, mimetype = attachment
        else:  # a MIME part
            filename = attachment.get_filename()
            content = attachment.get_payload(decode=True)
            mimetype = attachment.get_content_type()
        if isinstance(content, str):
            content = content.encode()
        rows.append(
            {
                "filename": filename,
                "mimetype": mimetype or "application/octet-stream",
                "content_b64": base64.b64encode(content or b"").decode(),
            }
        )
    return rows


def email_queue_message(*, message: EmailMessage) -> OutboxEmail:
    """Write a ready-made Django EmailMessage (e.g. the password-reset email) as an outbox row."""
    headers = {str(k): str(v) for k, v in (message.extra_headers or {}).items()}
    given_id = next((headers.pop(k) for k in list(headers) if k.lower() == "message-id"), None)
    body_text, body_html = message.body, ""
    if getattr(message, "content_subtype", "plain") == "html":
        body_text, body_html = strip_tags(message.body), message.body
    for content, mimetype in getattr(message, "alternatives", []) or []:
        if mimetype == "text/html" and not body_html:
            body_html = content
    message_id = message_id_normalize(given_id) if given_id else f"{ids.public_id()}@{_domain()}"
    email = OutboxEmail.objects.create(
        message_id=message_id,
        to=recipients_check(message.to, field="to"),
        cc=recipients_check(message.cc, field="cc"),
        bcc=recipients_check(message.bcc, field="bcc"),
        reply_to=recipients_check(message.reply_to, field="reply_to"),
        from_email=message.from_email or settings.DEFAULT_FROM_EMAIL,
        subject=" ".join(str(message.subject).split()),
        body_text=body_text,
        body_html=body_html,
        headers=headers,
        attachments=_attachment_rows(message),
        sensitive=email_is_sensitive(template=""),
        next_attempt_at=clock.now(),
    )
    _wake_delivery()
    return email


def email_resend(*, email: OutboxEmail) -> OutboxEmail:
    """Queue a failed email again, due now; raises Conflict for an email that has not failed."""
    email = outbox_requeue(email=email)
    _wake_delivery()
    return email


def emails_resend_failed() -> int:
    """Queue every failed email again; returns how many."""
    count = 0
    for email in OutboxEmail.objects.filter(status=OutboxEmail.Status.FAILED).order_by("pk"):
        outbox_requeue(email=email)
        count += 1
    if count:
        _wake_delivery()
    return count


def notification_create(*, user, title: str, body: str = "", link: str = "") -> Notification:
    """An unread in-app notification for `user`."""
    title = title.strip()
    if not title:
        raise DomainError(NotificationError.NO_TITLE, "A notification needs a title.", field="title")
    return Notification.objects.create(user=user, title=title[:200], body=body, link=link[:500])


def notification_mark_read(*, notification: Notification, user) -> Notification:
    """Mark one of `user`'s own notifications read (idempotent); another user's is not found."""
    if notification.user_id != user.pk:
        raise NotFound(NotificationError.NOT_YOURS, "No such notification.", field="notification")
    if notification.read_at is None:
        notification.read_at = clock.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user) -> int:
    """Mark all of `user`'s notifications read; returns how many were unread."""
    now = clock.now()
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=now, updated_at=now)
