"""Writes of the CRM: profiles, contacts and logged activities. Tasks are in crm.tasks.

Every write takes the acting user and checks the one rule (crm.permissions) itself, so the back office, the
API, the admin actions and the CLI cannot differ. Bad input raises DomainError naming the field; nothing is
changed then.
"""

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction

from autosales.core import clock
from autosales.core.errors import NUL, NUL_REASON, DomainError
from autosales.crm.errors import CrmErrorCode
from autosales.crm.models import LOGGED_KINDS, Activity, ActivityKind, Contact, Profile, Tag
from autosales.crm.permissions import crm_required, is_owner, is_salesperson
from autosales.crm.phones import phone_normalize
from autosales.customers.models import Organization, User


def text_clean(value, *, field: str, max_length: int | None = None, required: bool = False) -> str:
    """A text input stripped; raises DomainError naming `field` when it is required and blank, too long, or
    holds a NUL character."""
    value = "" if value is None else str(value).strip()
    if NUL in value:
        raise DomainError(CrmErrorCode.INVALID, f"The {field.replace('_', ' ')} {NUL_REASON}.", field)
    if required and not value:
        raise DomainError(CrmErrorCode.REQUIRED, f"The {field.replace('_', ' ')} is required.", field)
    if max_length is not None and len(value) > max_length:
        raise DomainError(
            CrmErrorCode.TOO_LONG, f"The {field.replace('_', ' ')} is longer than {max_length} characters.", field
        )
    return value


def email_clean(value, *, field: str = "email") -> str:
    value = text_clean(value, field=field, max_length=254).lower()
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise DomainError(CrmErrorCode.EMAIL_INVALID, f"{value!r} is not an email address.", field) from None
    return value


def url_clean(value, *, field: str = "website") -> str:
    value = text_clean(value, field=field, max_length=200)
    if value and "://" not in value:
        value = f"https://{value}"
    if value:
        try:
            URLValidator(schemes=["http", "https"])(value)
        except ValidationError:
            raise DomainError(CrmErrorCode.URL_INVALID, f"{value!r} is not a web address.", field) from None
    return value


def choice_clean(value, *, choices, field: str, required: bool = False) -> str:
    value = text_clean(value, field=field)
    if not value and not required:
        return ""
    allowed = [c[0] for c in choices]
    if value not in allowed:
        raise DomainError(
            CrmErrorCode.CHOICE_INVALID, f"The {field.replace('_', ' ')} must be one of: {', '.join(allowed)}.", field
        )
    return value


def _profile_for_update(organization: Organization) -> Profile:
    profile, _ = Profile.objects.get_or_create(organization=organization)
    return profile


# --- profiles ---


def profile_update(
    *,
    organization: Organization,
    actor: User,
    segment: str | None = None,
    industry: str | None = None,
    website: str | None = None,
    phone: str | None = None,
    phone_other: str | None = None,
    notes: str | None = None,
    tags: Iterable[str] | None = None,
) -> Profile:
    """Change what is given (None: unchanged) of the organization's profile; notes are the organization's own."""
    crm_required(user=actor, action="change", model="profile", organization=organization)
    values = {}
    if segment is not None:
        values["segment"] = text_clean(segment, field="segment", max_length=60)
    if industry is not None:
        values["industry"] = text_clean(industry, field="industry", max_length=100)
    if website is not None:
        values["website"] = url_clean(website)
    if phone is not None:
        values["phone"] = phone_normalize(text_clean(phone, field="phone", max_length=40), field="phone")
    if phone_other is not None:
        values["phone_other"] = phone_normalize(
            text_clean(phone_other, field="phone_other", max_length=40), field="phone_other"
        )
    if notes is not None:
        notes = text_clean(notes, field="notes", max_length=20000)
    tag_names = None
    if tags is not None:
        tag_names = sorted({text_clean(t, field="tags", max_length=60) for t in tags} - {""})
    with transaction.atomic():
        profile = _profile_for_update(organization)
        for name, value in values.items():
            setattr(profile, name, value)
        profile.save()
        if notes is not None and notes != organization.notes:
            organization.notes = notes
            organization.save(update_fields=["notes"])
        if tag_names is not None:
            existing = {t.name: t for t in Tag.objects.filter(name__in=tag_names)}
            missing = [Tag(name=n) for n in tag_names if n not in existing]
            Tag.objects.bulk_create(missing, ignore_conflicts=True)
            profile.tags.set(Tag.objects.filter(name__in=tag_names))
    return profile


def profile_share(*, organization: Organization, actor: User, salespeople: Iterable[User]) -> Profile:
    """The account is shared with exactly `salespeople` (staff); only its owner or a manager decides that."""
    crm_required(user=actor, action="change", model="profile", organization=organization)
    if not is_owner(user=actor, organization=organization):
        raise DomainError(
            CrmErrorCode.NOT_ALLOWED, "Only the account's salesperson or a manager can share it.", "shared_with"
        )
    people = list(salespeople)
    for person in people:
        if not (person.is_staff and person.is_active):
            raise DomainError(CrmErrorCode.OWNER_INVALID, f"{person} is not active staff.", "shared_with")
    with transaction.atomic():
        profile = _profile_for_update(organization)
        profile.shared_with.set([p for p in people if p.pk != organization.salesperson_id])
    return profile


def prospect_create(*, actor: User, name: str, email: str = "", website: str = "", phone: str = "") -> Organization:
    """A new organization that has not ordered yet, owned by `actor` when they are a salesperson (a manager's
    prospect has no salesperson until one is chosen)."""
    crm_required(user=actor, action="add", model="profile")
    name = text_clean(name, field="name", max_length=200, required=True)
    email = email_clean(email)
    with transaction.atomic():
        organization = Organization.objects.create(
            name=name, email=email, salesperson=actor if is_salesperson(actor) else None
        )
        Profile.objects.create(
            organization=organization, website=url_clean(website), phone=phone_normalize(phone, field="phone")
        )
    return organization


# --- contacts ---


def contact_values_clean(data: dict) -> dict:
    values = {}
    if "name" in data:
        values["name"] = text_clean(data["name"], field="name", max_length=200, required=True)
    if "title" in data:
        values["title"] = text_clean(data["title"], field="title", max_length=100)
    if "email" in data:
        values["email"] = email_clean(data["email"])
    for field in ("phone", "mobile"):
        if field in data:
            values[field] = phone_normalize(text_clean(data[field], field=field, max_length=40), field=field)
    if "preferred_channel" in data:
        values["preferred_channel"] = choice_clean(
            data["preferred_channel"], choices=Contact.Channel.choices, field="preferred_channel"
        )
    if "roles" in data:
        roles = data["roles"] or []
        if isinstance(roles, str):
            roles = [r.strip() for r in roles.split(",")]
        values["roles"] = sorted({choice_clean(r, choices=Contact.Role.choices, field="roles") for r in roles} - {""})
    if "notes" in data:
        values["notes"] = text_clean(data["notes"], field="notes", max_length=20000)
    return values


def contact_create(*, organization: Organization, actor: User, **data) -> Contact:
    """A key person of the organization; `user` (optional) is their store login, a member of the organization."""
    crm_required(user=actor, action="add", model="contact", organization=organization)
    data.setdefault("name", "")
    values = contact_values_clean(data)
    user = data.get("user")
    if user is not None and not user.memberships.filter(organization=organization).exists():
        raise DomainError(CrmErrorCode.INVALID, "That login is not a member of this organization.", "user")
    return Contact.objects.create(organization=organization, user=user, **values)


def contact_update(*, contact: Contact, actor: User, **data) -> Contact:
    crm_required(user=actor, action="change", model="contact", organization=contact.organization)
    values = contact_values_clean(data)
    for name, value in values.items():
        setattr(contact, name, value)
    contact.save()
    return contact


def contact_delete(*, contact: Contact, actor: User) -> None:
    crm_required(user=actor, action="delete", model="contact", organization=contact.organization)
    contact.delete()


# --- activities ---


def activity_log(
    *,
    organization: Organization,
    actor: User,
    kind: str,
    subject: str = "",
    body: str = "",
    contact: Contact | None = None,
    at: dt.datetime | None = None,
    direction: str = "",
    outcome: str = "",
    duration_minutes: int | None = None,
    location: str = "",
    data: dict | None = None,
) -> Activity:
    """A call, visit, meeting, email or note that a person logs on the organization's timeline."""
    crm_required(user=actor, action="add", model="activity", organization=organization)
    kind = choice_clean(kind, choices=[(k.value, k.label) for k in LOGGED_KINDS], field="kind", required=True)
    subject = text_clean(subject, field="subject", max_length=300)
    body = text_clean(body, field="body", max_length=100_000)
    if not subject and not body:
        raise DomainError(CrmErrorCode.REQUIRED, "Write a subject or a few words of what happened.", "subject")
    if contact is not None and contact.organization_id != organization.pk:
        raise DomainError(CrmErrorCode.INVALID, "That person is not one of this organization's contacts.", "contact")
    direction = choice_clean(direction, choices=Activity.Direction.choices, field="direction")
    outcome = choice_clean(outcome, choices=Activity.Outcome.choices, field="outcome")
    if kind != ActivityKind.CALL:
        outcome = ""
    if duration_minutes is not None and not (0 <= int(duration_minutes) <= 24 * 60):
        raise DomainError(CrmErrorCode.INVALID, "The duration must be from 0 to 1,440 minutes.", "duration_minutes")
    at = at or clock.now()
    if at > clock.now() + dt.timedelta(minutes=5):
        raise DomainError(CrmErrorCode.INVALID, "An activity that is logged cannot be in the future.", "at")
    return Activity.objects.create(
        organization=organization,
        contact=contact,
        author=actor,
        at=at,
        kind=kind,
        subject=subject,
        body=body,
        direction=direction,
        outcome=outcome,
        duration_minutes=duration_minutes,
        location=text_clean(location, field="location", max_length=300),
        data=data or {},
    )


def activity_delete(*, activity: Activity, actor: User) -> None:
    """A logged entry may be removed by its owner or a manager; what the system wrote stays."""
    crm_required(user=actor, action="delete", model="activity", organization=activity.organization)
    if activity.is_system:
        raise DomainError(CrmErrorCode.NOT_ALLOWED, "Entries the system wrote cannot be removed.", "activity")
    activity.delete()
