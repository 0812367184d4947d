"""Emails a salesperson writes from a customer's profile: sent through the outbox and on the timeline at once."""

from django.db import transaction

from autosales.core import clock
from autosales.core.errors import DomainError
from autosales.crm.errors import CrmErrorCode
from autosales.crm.models import Activity, ActivityKind, Contact
from autosales.crm.permissions import crm_required
from autosales.crm.services import text_clean
from autosales.customers.models import Organization, User
from autosales.notifications.services import email_queue

# The outbox template of these emails; the timeline feed leaves them out (they are on the timeline already).
TEMPLATE = "crm/message"


def email_write(
    *, organization: Organization, actor: User, contact: Contact | None, subject: str, body: str
) -> Activity:
    """Queue an email from `actor` to one of the organization's key people and record it on the timeline, both in one
    transaction (the outbox delivers it, retrying while the mail server is down)."""
    crm_required(user=actor, action="add", model="activity", organization=organization)
    if contact is None or contact.organization_id != organization.pk:
        raise DomainError(CrmErrorCode.REQUIRED, "Choose whom to write to.", "contact")
    if not contact.email:
        raise DomainError(CrmErrorCode.EMAIL_INVALID, f"{contact.name} has no email address.", "contact")
    subject = text_clean(subject, field="subject", max_length=300, required=True)
    body = text_clean(body, field="body", max_length=50_000, required=True)
    with transaction.atomic():
        activity = Activity.objects.create(
            organization=organization,
            contact=contact,
            author=actor,
            at=clock.now(),
            kind=ActivityKind.EMAIL,
            subject=subject,
            body=body,
            direction=Activity.Direction.OUTBOUND,
            data={"to": [contact.email]},
        )
        email = email_queue(
            to=contact.email,
            template=TEMPLATE,
            context={"subject": subject, "body": body, "sender": actor, "contact_name": contact.name},
            related=activity,
            message_id=f"crm-message-{activity.public_id}",
            first=True,
        )
        activity.data = {**activity.data, "outbox": email.public_id}
        activity.save(update_fields=["data"])
    return activity
