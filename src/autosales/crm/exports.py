"""`autosales crm export`: organizations and their key people as CSV, in the columns the import reads."""

import csv

from django.db.models import Prefetch

from autosales.crm.imports import COLUMNS
from autosales.crm.models import Contact
from autosales.crm.permissions import organizations_in_scope
from autosales.customers.models import Organization

BATCH = 500


def contacts_export(*, stream, user=None) -> int:
    """Write every organization (those `user` may see, when given) with one row per contact; returns the rows."""
    organizations = organizations_in_scope(user=user) if user is not None else Organization.objects.all()
    organizations = (
        organizations.select_related("salesperson", "crm_profile")
        .prefetch_related(
            "crm_profile__tags", Prefetch("crm_contacts", queryset=Contact.objects.order_by("name", "id"))
        )
        .order_by("name", "pk")
    )
    writer = csv.DictWriter(stream, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    rows = 0
    for organization in organizations.iterator(chunk_size=BATCH):
        try:
            profile = organization.crm_profile
        except Organization.crm_profile.RelatedObjectDoesNotExist:
            profile = None
        base = {
            "organization_id": organization.public_id,
            "organization": organization.name,
            "organization_email": organization.email,
            "website": profile.website if profile else "",
            "phone": profile.phone if profile else "",
            "segment": profile.segment if profile else "",
            "industry": profile.industry if profile else "",
            "tags": ", ".join(t.name for t in profile.tags.all()) if profile else "",
            "salesperson": organization.salesperson.username if organization.salesperson_id else "",
            "notes": organization.notes,
        }
        contacts = list(organization.crm_contacts.all()) or [None]
        for contact in contacts:
            row = dict(base)
            if contact is not None:
                row.update(
                    {
                        "contact_name": contact.name,
                        "contact_title": contact.title,
                        "contact_email": contact.email,
                        "contact_phone": contact.phone,
                        "contact_mobile": contact.mobile,
                        "contact_roles": ",".join(contact.roles),
                        "contact_preferred_channel": contact.preferred_channel,
                    }
                )
            writer.writerow(row)
            rows += 1
    return rows
