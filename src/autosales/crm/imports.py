"""`autosales crm import FILE.csv`: organizations and their key people from a spreadsheet or another CRM's export.

One row per person (or per organization, with the person's columns empty); the columns are `COLUMNS` (the
export writes the same, so an export imports back unchanged). Each row finds its organization before it would
create one, so importing the same file twice, or a file that overlaps what is there, adds no duplicates:

1. `organization_id`: the organization with that public id;
2. the person's email: the organization of a contact with that address;
3. a domain: of the website, the organization's email or the person's email (never a free-mail domain), the one
   organization whose website or email has it;
4. the organization's name, exactly (case aside).

The person is then the organization's contact with that email, else with that name, else a new one. Every value is
checked as the pages check it; a row with a mistake is reported as "row N, column: reason". Without
`skip_invalid` one bad row imports nothing; `dry_run` checks and counts, and writes nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction
from tqdm import tqdm

from autosales.core.errors import DomainError
from autosales.crm.email_logging import FREE_MAIL_DOMAINS
from autosales.crm.models import Contact, Profile, Tag
from autosales.crm.permissions import crm_required, is_salesperson
from autosales.crm.phones import phone_normalize
from autosales.crm.services import contact_values_clean, email_clean, text_clean, url_clean
from autosales.customers.models import Organization, User

COLUMNS = [
    "organization_id",
    "organization",
    "organization_email",
    "website",
    "phone",
    "segment",
    "industry",
    "tags",
    "salesperson",
    "contact_name",
    "contact_title",
    "contact_email",
    "contact_phone",
    "contact_mobile",
    "contact_roles",
    "contact_preferred_channel",
    "notes",
]
REQUIRED = ["organization"]
MAX_ROWS = 50_000


class ImportRejected(DomainError):
    def __init__(self, message: str, errors: list[RowError] | None = None):
        super().__init__("import_rejected", message, "file")
        self.errors = errors or []


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column}: {self.reason}"


@dataclass
class ImportResult:
    rows: int = 0
    organizations_created: int = 0
    organizations_updated: int = 0
    contacts_created: int = 0
    contacts_updated: int = 0
    skipped: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)


class _RowInvalid(Exception):
    def __init__(self, error: RowError):
        self.error = error


def _domain(value: str) -> str:
    value = value.strip().lower()
    if "@" in value:
        return value.rpartition("@")[2]
    return value.split("//")[-1].split("/")[0].split(":")[0].removeprefix("www.")


def _find_organization(row: dict, contact_email: str) -> Organization | None:
    if row.get("organization_id"):
        found = Organization.objects.filter(public_id=row["organization_id"].strip()).first()
        if found is None:
            raise ValueError(("organization_id", "no organization has this id"))
        return found
    if contact_email:
        contact = Contact.objects.filter(email=contact_email).select_related("organization").first()
        if contact is not None:
            return contact.organization
    domains = [_domain(v) for v in (row.get("website", ""), row.get("organization_email", ""), contact_email) if v]
    for domain in dict.fromkeys(d for d in domains if d and d not in FREE_MAIL_DOMAINS):
        matches = set(Organization.objects.filter(email__iendswith=f"@{domain}").values_list("pk", flat=True))
        for organization_id, website in Profile.objects.filter(website__icontains=domain).values_list(
            "organization_id", "website"
        ):
            if _domain(website) == domain:
                matches.add(organization_id)
        if len(matches) == 1:
            return Organization.objects.get(pk=matches.pop())
    name = row.get("organization", "").strip()
    named = list(Organization.objects.filter(name__iexact=name)[:2]) if name else []
    return named[0] if len(named) == 1 else None


def _checked(row_number: int, column: str, check):
    try:
        return check()
    except DomainError as exc:
        raise _RowInvalid(RowError(row_number, column, exc.message)) from None


def _import_row(row: dict, number: int, *, actor: User | None, result: ImportResult) -> None:
    """Import one row into `result`'s counts; raises _RowInvalid naming the column of a mistake."""
    email = _checked(number, "contact_email", lambda: email_clean(row.get("contact_email", ""), field="contact_email"))
    try:
        organization = _find_organization(row, email)
    except ValueError as exc:
        column, reason = exc.args[0]
        raise _RowInvalid(RowError(number, column, reason)) from None
    name = _checked(
        number,
        "organization",
        lambda: text_clean(
            row.get("organization"), field="organization", max_length=200, required=organization is None
        ),
    )
    org_email = _checked(
        number, "organization_email", lambda: email_clean(row.get("organization_email", ""), field="organization_email")
    )
    website = _checked(number, "website", lambda: url_clean(row.get("website", "")))
    phone = _checked(number, "phone", lambda: phone_normalize(row.get("phone", ""), field="phone"))
    segment = _checked(number, "segment", lambda: text_clean(row.get("segment"), field="segment", max_length=60))
    industry = _checked(number, "industry", lambda: text_clean(row.get("industry"), field="industry", max_length=100))
    notes = _checked(number, "notes", lambda: text_clean(row.get("notes"), field="notes", max_length=20000))
    tags = [t.strip()[:60] for t in (row.get("tags") or "").split(",") if t.strip()]
    salesperson = None
    if (row.get("salesperson") or "").strip():
        salesperson = User.objects.filter(username=row["salesperson"].strip(), is_staff=True, is_active=True).first()
        if salesperson is None:
            raise _RowInvalid(RowError(number, "salesperson", "no active member of staff has this username"))
    if organization is None:
        if actor is not None:
            _checked(number, "organization", lambda: crm_required(user=actor, action="add", model="profile"))
        organization = Organization.objects.create(
            name=name, email=org_email, salesperson=salesperson or (actor if actor and is_salesperson(actor) else None)
        )
        result.organizations_created += 1
        created = True
        changed = True
    else:
        created = False
        if actor is not None:
            _checked(
                number,
                "organization",
                lambda: crm_required(user=actor, action="change", model="profile", organization=organization),
            )
        changed = False
        updates = {"email": org_email, "salesperson": salesperson, "notes": notes}
        for attribute, value in updates.items():
            current = getattr(organization, attribute)
            if value and value != current:
                setattr(organization, attribute, value)
                changed = True
        if changed:
            organization.save()
    profile, _ = Profile.objects.get_or_create(organization=organization)
    profile_changed = False
    for attribute, value in {"website": website, "phone": phone, "segment": segment, "industry": industry}.items():
        if value and getattr(profile, attribute) != value:
            setattr(profile, attribute, value)
            profile_changed = True
    if profile_changed:
        profile.save()
    if tags:
        for tag in tags:
            Tag.objects.get_or_create(name=tag)
        before = set(profile.tags.values_list("name", flat=True))
        profile.tags.add(*Tag.objects.filter(name__in=tags))
        profile_changed = profile_changed or not set(tags) <= before
    contact_name = (row.get("contact_name") or "").strip()
    if contact_name or email:
        data = {
            "name": contact_name or email,
            "title": row.get("contact_title", ""),
            "email": email,
            "phone": row.get("contact_phone", ""),
            "mobile": row.get("contact_mobile", ""),
            "roles": row.get("contact_roles", ""),
            "preferred_channel": row.get("contact_preferred_channel", ""),
        }
        try:
            values = contact_values_clean(data)
        except DomainError as exc:
            raise _RowInvalid(RowError(number, f"contact_{exc.field}", exc.message)) from None
        contact = None
        if email:
            contact = Contact.objects.filter(organization=organization, email=email).first()
        if contact is None and contact_name:
            contact = Contact.objects.filter(organization=organization, name__iexact=contact_name).first()
        if contact is None:
            Contact.objects.create(organization=organization, **values)
            result.contacts_created += 1
        else:
            differs = {k: v for k, v in values.items() if v and getattr(contact, k) != v}
            if differs:
                for attribute, value in differs.items():
                    setattr(contact, attribute, value)
                contact.save()
                result.contacts_updated += 1
    if not created and (changed or profile_changed):
        result.organizations_updated += 1


_COUNTED = ("organizations_created", "organizations_updated", "contacts_created", "contacts_updated")


def _counts(result: ImportResult) -> tuple[int, ...]:
    return tuple(getattr(result, name) for name in _COUNTED)


def _counts_restore(result: ImportResult, counts: tuple[int, ...]) -> None:
    for name, value in zip(_COUNTED, counts, strict=True):
        setattr(result, name, value)


def contacts_import(
    *, data: bytes, actor: User | None = None, dry_run: bool = False, skip_invalid: bool = False, progress=None
) -> ImportResult:
    """Import `data` (CSV, UTF-8 with or without BOM) as described in the module's docstring."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRejected("The file is not UTF-8 text: save it as CSV UTF-8.") from None
    if "\x00" in text:
        raise ImportRejected("The file holds NUL characters: it is not a CSV file.")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    if not header:
        raise ImportRejected("The file is empty: it needs a header row.")
    reader.fieldnames = header
    unknown = [h for h in header if h not in COLUMNS]
    missing = [h for h in REQUIRED if h not in header]
    if unknown or missing:
        parts = []
        if missing:
            parts.append(f"missing column(s): {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s): {', '.join(unknown)}")
        raise ImportRejected(f"The header is not right ({'; '.join(parts)}). The columns are: {', '.join(COLUMNS)}.")
    rows = list(reader)
    if len(rows) > MAX_ROWS:
        raise ImportRejected(f"The file has more than {MAX_ROWS} rows: split it.")
    result = ImportResult(rows=len(rows), dry_run=dry_run)
    with transaction.atomic():
        bar = tqdm(rows, total=len(rows), unit="row", file=progress, disable=progress is None, leave=False)
        for number, row in enumerate(bar, start=2):
            row = {k: (v or "").strip() for k, v in row.items() if k}
            if not any(row.values()):
                continue
            counts = _counts(result)
            try:
                with transaction.atomic():
                    _import_row(row, number, actor=actor, result=result)
            except _RowInvalid as invalid:
                _counts_restore(result, counts)  # the row's writes are rolled back: so are its counts
                result.errors.append(invalid.error)
                result.skipped += 1
        if result.errors and not skip_invalid:
            transaction.set_rollback(True)
            raise ImportRejected(
                f"{len(result.errors)} row(s) have mistakes; nothing was imported.", errors=result.errors
            )
        if dry_run:
            transaction.set_rollback(True)
    return result
