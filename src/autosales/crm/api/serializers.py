"""CRM models as the API's responses show them."""

from autosales.billing.api import balance_out
from autosales.crm.models import Activity, Contact, Profile, Task
from autosales.crm.phones import phone_display
from autosales.customers.models import Organization


def profile_out(organization: Organization, *, credit: bool = False) -> dict:
    """The profile as the API shows it; `crm_profile` with its tags and sharing should be loaded (lists do).
    `credit`: with billing's figures for an account with terms (a fixed few queries; one organization's page)."""
    try:
        profile = organization.crm_profile
    except Profile.DoesNotExist:
        profile = Profile(organization=organization)
    has_profile = profile.pk is not None
    if hasattr(organization, "has_ordered"):
        is_prospect = not organization.has_ordered
    else:
        is_prospect = not organization.orders.filter(placed_at__isnull=False).exists()
    return {
        "public_id": organization.public_id,
        "name": organization.name,
        "email": organization.email,
        "salesperson": organization.salesperson.username if organization.salesperson_id else None,
        "shared_with": [u.username for u in profile.shared_with.all()] if has_profile else [],
        "is_prospect": is_prospect,
        "segment": profile.segment,
        "industry": profile.industry,
        "website": profile.website,
        "phone": profile.phone,
        "phone_display": phone_display(profile.phone),
        "phone_other": profile.phone_other,
        "tags": [t.name for t in profile.tags.all()] if has_profile else [],
        "notes": organization.notes,
        "terms": organization.terms_label,
        "credit_hold": organization.credit_hold,
        "time_zone": organization.local_time_zone,
        "credit": balance_out(organization) if credit and organization.has_account_terms else None,
    }


def contact_out(contact: Contact) -> dict:
    return {
        "public_id": contact.public_id,
        "organization": contact.organization.public_id,
        "name": contact.name,
        "title": contact.title,
        "roles": contact.roles,
        "email": contact.email,
        "phone": contact.phone,
        "mobile": contact.mobile,
        "preferred_channel": contact.preferred_channel,
        "has_login": contact.has_login,
        "notes": contact.notes,
    }


def activity_out(activity: Activity, organization_id: str) -> dict:
    return {
        "public_id": activity.public_id,
        "organization": organization_id,
        "contact": activity.contact.public_id if activity.contact_id else None,
        "author": activity.author.username if activity.author_id else None,
        "at": activity.at,
        "kind": activity.kind,
        "kind_label": activity.get_kind_display(),
        "subject": activity.subject,
        "body": activity.body,
        "direction": activity.direction,
        "outcome": activity.outcome,
        "duration_minutes": activity.duration_minutes,
        "location": activity.location,
        "system": activity.is_system,
        "data": activity.data,
    }


def task_out(task: Task) -> dict:
    return {
        "public_id": task.public_id,
        "organization": task.organization.public_id,
        "organization_name": task.organization.name,
        "contact": task.contact.public_id if task.contact_id else None,
        "owner": task.owner.username,
        "title": task.title,
        "kind": task.kind,
        "due_at": task.due_at,
        "priority": task.priority,
        "status": task.status,
        "notes": task.notes,
        "recurrence": task.recurrence,
        "reminder_offsets": task.reminder_offsets,
        "order": task.order.public_id if task.order_id else None,
        "invoice": task.invoice.number if task.invoice_id else None,
        "completed_at": task.completed_at,
        "outcome": task.outcome,
        "rule": task.rule,
    }
