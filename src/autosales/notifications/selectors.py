"""Reads for the outbox, the mailbox and notifications."""

from django.db.models import Count, Q, QuerySet

from autosales.notifications.models import Notification, OutboxEmail

_LIST_FIELDS = (
    "public_id",
    "message_id",
    "to",
    "subject",
    "template",
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "last_attempt_at",
    "sent_at",
    "transport",
    "created_at",
)


def outbox_emails(*, status: str | None = None) -> QuerySet[OutboxEmail]:
    """Outbox rows, newest first, optionally of one status; without the (large) bodies."""
    emails = OutboxEmail.objects.only(*_LIST_FIELDS).order_by("-created_at", "-id")
    if status:
        emails = emails.filter(status=status)
    return emails


def outbox_counts() -> dict[str, int]:
    """How many emails in each status (every status present, zero when none)."""
    counts = {status: 0 for status in OutboxEmail.Status.values}
    for row in OutboxEmail.objects.order_by().values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


def outbox_email_by_public_id(*, public_id: str) -> OutboxEmail:
    return OutboxEmail.objects.get(public_id=public_id)


def _addressed_to(address: str) -> Q:
    """Rows with `address` among their recipients: a whole list entry ("a@b") or the address part ("A <a@b>")."""
    address = address.strip()
    if not address:
        return Q(pk__in=[])
    matches = Q()
    for field in ("to", "cc", "bcc"):
        matches |= Q(**{f"{field}__icontains": f'"{address}"'}) | Q(**{f"{field}__icontains": f"<{address}>"})
    return matches


def mailbox_emails(*, addressed_to: str | None = None) -> QuerySet[OutboxEmail]:
    """Emails delivered in mailbox:// mode, newest first; only those to `addressed_to` when given."""
    emails = (
        OutboxEmail.objects.only(*_LIST_FIELDS, "from_email", "cc", "bcc", "sensitive")
        .filter(status=OutboxEmail.Status.SENT, transport="mailbox")
        .order_by("-sent_at", "-id")
    )
    if addressed_to is not None:
        emails = emails.filter(_addressed_to(addressed_to))
    return emails


def notifications_for_user(*, user, unread_only: bool = False) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(user=user).order_by("-created_at", "-id")
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications


def unread_notification_count(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
