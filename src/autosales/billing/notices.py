"""The emails billing owes, written to the outbox in the transaction of the change that owes them."""

from django.conf import settings

from autosales.billing.models import Invoice
from autosales.customers.models import Membership, Organization
from autosales.notifications.attachments import attachment_reference
from autosales.notifications.services import email_queue

DOCUMENT_PDF = "billing.document_pdf"


def billing_contact_emails(*, organization: Organization) -> list[str]:
    """Who receives invoices and statements: the organization's billing contacts, else its account admins, else
    its own email address."""
    emails = [e.strip() for e in organization.billing_email.split(",") if e.strip()]
    if not emails:
        emails = list(
            Membership.objects.filter(organization=organization, role=Membership.Role.ADMIN, user__is_active=True)
            .exclude(user__email="")
            .order_by("id")
            .values_list("user__email", flat=True)
        )
    if not emails and organization.email:
        emails = [organization.email]
    return list(dict.fromkeys(emails))


def document_url(invoice: Invoice) -> str:
    return f"{settings.SHOP['base_url'].rstrip('/')}/account/invoices/{invoice.public_id}/"


def invoice_email_queue(*, invoice: Invoice) -> None:
    """The invoice or credit note to the billing contacts, its PDF attached (made at delivery); none without contacts."""
    organization = invoice.organization
    recipients = billing_contact_emails(organization=organization)
    if not recipients:
        return
    email_queue(
        to=recipients,
        template="billing/document",
        context={"invoice": invoice, "url": document_url(invoice)},
        related=invoice,
        message_id=f"billing-document-{invoice.public_id}",
        time_zone=organization.local_time_zone,
        language=organization.email_language,
        first=True,
        attachments=[attachment_reference(kind=DOCUMENT_PDF, reference=invoice.public_id)],
    )
