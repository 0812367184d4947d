"""Logging emails without typing: a message copied (BCC) or forwarded to the shop's logging address arrives as
raw RFC 822 bytes (the inbound endpoint, `autosales crm log-email`, a maildir or an mbox) and lands on the
right timeline.

1. Parse (`email_parse`), with Python's `email` package: sender, recipients, date, subject, the text part (or the
   HTML part made text), attachments. Headers in other character sets (RFC 2047 words, or raw 8-bit bytes that
   some mailers still send) are decoded; a forwarded message's original sender and date are read from the
   attached message or the quoted "Forwarded message" block.
2. Match (`email_match`): the people in it other than the shop's staff are looked up among contacts by address,
   then organizations by the domain of their address (website or email), never a free-mail domain.
3. Record (`email_log`): one `LoggedEmail` per Message-ID (a message without one gets an id made from its
   content), with its attachments and, when matched, its email entry on the timeline, in one transaction;
   the same message a second time changes nothing and answers the first record.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import strip_tags

from autosales.core import clock
from autosales.core.errors import NUL, DomainError, NotFound
from autosales.crm.errors import CrmErrorCode
from autosales.crm.models import Activity, ActivityKind, Contact, EmailAttachment, LoggedEmail, Profile
from autosales.crm.permissions import crm_required, scope_filter, sees_every_account
from autosales.customers.models import Organization, User

MAX_MESSAGE_BYTES = 25 * 1024 * 1024
MAX_TEXT = 100_000
MAX_MESSAGE_ID = 250
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "msn.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "web.de",
        "mail.com",
        "yandex.ru",
        "qq.com",
        "comcast.net",
    }
)
_FORWARD_SUBJECT = re.compile(r"^\s*(fwd?|fw|wg|tr)\s*:", re.IGNORECASE)
_FORWARD_BLOCK = re.compile(
    r"^-{2,}\s*(?:Forwarded message|Original Message|Weitergeleitete Nachricht)\s*-{2,}\s*$(?P<head>.*?)^\s*$",
    re.IGNORECASE | re.MULTILINE | re.DOTALL,
)


def _reject(message: str) -> DomainError:
    return DomainError(CrmErrorCode.MESSAGE_INVALID, message, "message")


def _header_text(value) -> str:
    """A header's value as text: RFC 2047 words are decoded by the parser; raw 8-bit bytes (left as surrogates)
    are read as UTF-8 when they are, else as Windows-1252, as mail clients do."""
    text = str(value or "")
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        raw = text.encode("utf-8", "surrogateescape")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", "replace")
    return " ".join(text.replace(NUL, "").split())


def _decoded(value: str) -> str:
    """A raw header value with its RFC 2047 words decoded; one that cannot be decoded (an unknown charset, a
    malformed word) as it stands."""
    try:
        return str(make_header(decode_header(value)))
    except (LookupError, UnicodeError, ValueError, HeaderParseError):
        return value


def _header_values(message: EmailMessage, name: str) -> list[str]:
    """Every value of a header as text. Read raw and decoded here, not through the policy's parser: a malformed
    header (`Message-ID: <>`) makes that raise."""
    return [_header_text(_decoded(str(v))) for k, v in message.raw_items() if k.lower() == name.lower()]


def _header(message: EmailMessage, name: str) -> str:
    values = _header_values(message, name)
    return values[0] if values else ""


def _addresses(message: EmailMessage, name: str) -> list[tuple[str, str]]:
    """(display name, address) of a header; an unreadable header gives what could be read."""
    return [(n, a.lower()) for n, a in getaddresses(_header_values(message, name)) if "@" in a]


def _html_to_text(markup: str) -> str:
    markup = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", "", markup)
    markup = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>|</h\d>|</li>", "\n", markup)
    text = html.unescape(strip_tags(markup))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _part_text(part) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeDecodeError, AssertionError):  # an unknown or wrong charset
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("cp1252", "replace")
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    return content.replace(NUL, "")


@dataclass
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass
class ParsedEmail:
    message_id: str
    from_name: str
    from_address: str
    to: list[str]
    cc: list[str]
    sent_at: dt.datetime
    subject: str
    text: str
    forwarded: bool = False
    # The original sender and recipients of a forwarded message (the forwarder is `from_address`).
    original_from: str = ""
    original_to: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def participants(self) -> list[str]:
        people = [self.from_address, *self.to, *self.cc, self.original_from, *self.original_to]
        return list(dict.fromkeys(a for a in people if a))


def _date(value) -> dt.datetime | None:
    try:
        moment = parsedate_to_datetime(_header_text(value)) if value else None
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    return timezone.make_aware(moment, dt.UTC) if timezone.is_naive(moment) else moment.astimezone(dt.UTC)


def _forwarded_original(message: EmailMessage, text: str) -> tuple[str, list[str], dt.datetime | None]:
    """(sender, recipients, date) of the message inside a forward: an attached message/rfc822, else the quoted
    header block of an inline forward."""
    for part in message.walk():
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()[0] if isinstance(part.get_payload(), list) else part.get_content()
            sender = _addresses(inner, "From")
            return (
                sender[0][1] if sender else "",
                [a for _, a in _addresses(inner, "To")],
                _date(_header(inner, "Date")),
            )
    match = _FORWARD_BLOCK.search(text)
    if match is None:
        return "", [], None
    head = {}
    for line in match.group("head").splitlines():
        key, _, value = line.partition(":")
        if value and key.strip().lower() in ("from", "to", "date", "sent", "von", "an", "datum"):
            head.setdefault(key.strip().lower(), value.strip())
    sender = parseaddr(head.get("from") or head.get("von") or "")[1].lower()
    recipients = [a.lower() for _, a in getaddresses([head.get("to") or head.get("an") or ""]) if "@" in a]
    return sender, recipients, _date(head.get("date") or head.get("sent"))


_NON_ASCII_WORD = re.compile(r"\S*[^\x00-\x7f]\S*")


def _raw_headers_encoded(raw: bytes) -> bytes:
    """The message with raw 8-bit header bytes (against RFC 5322, yet common) rewritten as RFC 2047 words: read as
    UTF-8 when they are, else as Windows-1252, as mail clients do. The body is left as it is."""
    end = min((i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0), default=len(raw))
    head, body = raw[:end], raw[end:]
    if head.isascii():
        return raw
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = head.decode("cp1252", "replace")

    def encoded(match: re.Match) -> str:
        word = match.group(0)
        # Keep an address's angle brackets and quotes outside the encoded word, so the address still parses.
        core = word.strip('<>"(),')
        start = word.index(core)
        token = "=?utf-8?b?" + base64.b64encode(core.encode()).decode() + "?="
        return word[:start] + token + word[start + len(core) :]

    return _NON_ASCII_WORD.sub(encoded, text).encode("ascii") + body


def email_parse(raw: bytes) -> ParsedEmail:
    """The parts of a raw RFC 822 message that the CRM keeps; raises DomainError for what is not a message."""
    if not raw or not raw.strip():
        raise _reject("The message is empty.")
    if len(raw) > MAX_MESSAGE_BYTES:
        raise _reject(f"The message is larger than {MAX_MESSAGE_BYTES // (1024 * 1024)} MB.")
    message = message_from_bytes(_raw_headers_encoded(raw), policy=policy.default)
    senders = _addresses(message, "From")
    if not senders and not _header(message, "Subject") and not _header(message, "Message-ID"):
        raise _reject("This is not an email message: it has no From, Subject or Message-ID header.")
    body = message.get_body(preferencelist=("plain", "html"))
    text = ""
    if body is not None:
        text = _part_text(body)
        if body.get_content_type() == "text/html":
            text = _html_to_text(text)
    attachments = []
    for part in message.iter_attachments():
        if part.get_content_type() == "message/rfc822":
            content = part.get_payload()[0].as_bytes() if isinstance(part.get_payload(), list) else b""
            name = _header_text(part.get_filename() or "forwarded-message.eml")
        else:
            content = part.get_payload(decode=True) or b""
            name = _header_text(part.get_filename() or "attachment")
        attachments.append(Attachment(filename=name[:255], content_type=part.get_content_type()[:255], content=content))
    message_id = _header(message, "Message-ID").strip("<> ")
    if not message_id:
        message_id = "sha256:" + hashlib.sha256(raw).hexdigest()
    elif len(message_id) > MAX_MESSAGE_ID or not message_id.isascii():
        # Kept short and plain for its unique index (a database index entry has a size limit).
        message_id = "sha256:" + hashlib.sha256(message_id.encode("utf-8", "surrogateescape")).hexdigest()
    subject = _header(message, "Subject")
    forwarded = bool(_FORWARD_SUBJECT.match(subject)) or any(
        p.get_content_type() == "message/rfc822" for p in message.walk()
    )
    original_from, original_to, original_date = ("", [], None)
    if forwarded:
        original_from, original_to, original_date = _forwarded_original(message, text)
    sent_at = (original_date if forwarded else None) or _date(_header(message, "Date")) or clock.now()
    return ParsedEmail(
        message_id=message_id,
        from_name=(senders[0][0] if senders else "")[:200],
        from_address=senders[0][1] if senders else "",
        to=[a for _, a in _addresses(message, "To")],
        cc=[a for _, a in _addresses(message, "Cc")],
        sent_at=sent_at,
        subject=subject[:998],
        text=text.strip()[:MAX_TEXT],
        forwarded=forwarded,
        original_from=original_from,
        original_to=original_to,
        attachments=attachments,
    )


# --- matching ---


def _domain(address: str) -> str:
    return address.rpartition("@")[2].lower().strip(".")


def _website_domain(url: str) -> str:
    host = url.split("//")[-1].split("/")[0].split(":")[0].lower()
    return host.removeprefix("www.")


def _own_domains() -> set[str]:
    own = {_domain(parseaddr(settings.DEFAULT_FROM_EMAIL)[1])}
    logging_address = getattr(settings, "CRM_LOGGING_ADDRESS", "")
    if logging_address:
        own.add(_domain(logging_address))
    return {d for d in own if d}


@dataclass(frozen=True)
class Match:
    organization: Organization | None
    contact: Contact | None
    staff: User | None
    outbound: bool


def email_match(parsed: ParsedEmail) -> Match:
    """Who the message is with: staff among the participants are the shop's side; the first other person known as
    a contact decides the organization, else the one organization whose domain theirs is."""
    staff_by_address = {
        u.email.lower(): u for u in User.objects.filter(is_staff=True, is_active=True, email__in=parsed.participants)
    }
    own = _own_domains()
    logging_address = getattr(settings, "CRM_LOGGING_ADDRESS", "").lower()
    others = [
        a for a in parsed.participants if a not in staff_by_address and a != logging_address and _domain(a) not in own
    ]
    # Who logged it: the member of staff who sent or forwarded it, else the one it was written to (a mailbox rule
    # that copies incoming mail to the logging address).
    staff = staff_by_address.get(parsed.from_address) or next(
        (staff_by_address[a] for a in parsed.participants if a in staff_by_address), None
    )
    sender = parsed.original_from if parsed.forwarded and parsed.original_from else parsed.from_address
    outbound = sender in staff_by_address
    contacts = {c.email.lower(): c for c in Contact.objects.filter(email__in=others).select_related("organization")}
    for address in others:
        if address in contacts:
            contact = contacts[address]
            return Match(organization=contact.organization, contact=contact, staff=staff, outbound=outbound)
    domains = [d for d in dict.fromkeys(_domain(a) for a in others) if d and d not in FREE_MAIL_DOMAINS]
    for domain in domains:
        found = {org.pk: org for org in Organization.objects.filter(email__iendswith=f"@{domain}")}
        for profile in Profile.objects.filter(website__icontains=domain).select_related("organization"):
            if _website_domain(profile.website) == domain:
                found[profile.organization_id] = profile.organization
        if len(found) == 1:
            return Match(organization=next(iter(found.values())), contact=None, staff=staff, outbound=outbound)
    return Match(organization=None, contact=None, staff=staff, outbound=outbound)


# --- recording ---


def _activity_for(record: LoggedEmail, *, outbound: bool) -> Activity:
    people = ", ".join(record.to[:5])
    return Activity.objects.create(
        organization=record.organization,
        contact=record.contact,
        author=record.logged_by,
        at=record.sent_at,
        kind=ActivityKind.EMAIL,
        subject=record.subject[:300] or "(no subject)",
        body=record.text[:20000],
        direction=Activity.Direction.OUTBOUND if outbound else Activity.Direction.INBOUND,
        data={"logged_email": record.public_id, "from": record.from_address, "to": people},
        source_key="email:" + hashlib.sha1(record.message_id.encode()).hexdigest(),
    )


@dataclass(frozen=True)
class LogResult:
    email: LoggedEmail
    created: bool


def email_log(*, raw: bytes, via: str) -> LogResult:
    """Record one raw message (see the module's docstring); a message seen before answers its first record."""
    parsed = email_parse(raw)
    existing = LoggedEmail.objects.filter(message_id=parsed.message_id).first()
    if existing is not None:
        return LogResult(email=existing, created=False)
    match = email_match(parsed)
    try:
        with transaction.atomic():
            record = LoggedEmail.objects.create(
                message_id=parsed.message_id,
                status=LoggedEmail.Status.LOGGED if match.organization else LoggedEmail.Status.UNMATCHED,
                from_address=parsed.original_from or parsed.from_address,
                from_name=parsed.from_name,
                to=parsed.original_to or parsed.to,
                cc=parsed.cc,
                sent_at=parsed.sent_at,
                subject=parsed.subject,
                text=parsed.text,
                forwarded=parsed.forwarded,
                logged_by=match.staff,
                organization=match.organization,
                contact=match.contact,
                received_via=via[:16],
            )
            EmailAttachment.objects.bulk_create(
                EmailAttachment(
                    logged_email=record,
                    filename=a.filename,
                    content_type=a.content_type,
                    size=len(a.content),
                    content=a.content,
                )
                for a in parsed.attachments
            )
            if match.organization is not None:
                record.activity = _activity_for(record, outbound=match.outbound)
                record.save(update_fields=["activity"])
    except IntegrityError:  # the same message, logged meanwhile by another delivery
        return LogResult(email=LoggedEmail.objects.get(message_id=parsed.message_id), created=False)
    return LogResult(email=record, created=True)


def inbox_for(*, user):
    """Unmatched messages `user` may assign: a manager all of them, a salesperson those they sent or forwarded."""
    queryset = LoggedEmail.objects.filter(status=LoggedEmail.Status.UNMATCHED).select_related("logged_by")
    if sees_every_account(user):
        return queryset.order_by("-sent_at", "-id")
    return queryset.filter(logged_by_id=user.pk).order_by("-sent_at", "-id")


def email_assign(*, email: LoggedEmail, organization: Organization, actor: User) -> LoggedEmail:
    """Put an unmatched message on an organization's timeline (the actor works that account)."""
    crm_required(user=actor, action="add", model="activity", organization=organization)
    with transaction.atomic():
        locked = LoggedEmail.objects.select_for_update().get(pk=email.pk)
        if locked.status != LoggedEmail.Status.UNMATCHED:
            raise DomainError(CrmErrorCode.DUPLICATE, "This message is already on a timeline.", "email")
        locked.organization = organization
        addresses = [a for a in [locked.from_address, *locked.to] if a]
        locked.contact = Contact.objects.filter(organization=organization, email__in=addresses).first()
        locked.status = LoggedEmail.Status.LOGGED
        outbound = locked.logged_by is not None and locked.from_address == (locked.logged_by.email or "").lower()
        locked.activity = _activity_for(locked, outbound=outbound)
        locked.save(update_fields=["organization", "contact", "status", "activity"])
    return locked


def email_ignore(*, email: LoggedEmail, actor: User) -> LoggedEmail:
    """Drop an unmatched message from the inbox (a newsletter, a message about nobody's account)."""
    if not (sees_every_account(actor) or email.logged_by_id == actor.pk):
        raise DomainError(CrmErrorCode.NOT_ALLOWED, "Only its sender or a manager can drop this message.", "email")
    LoggedEmail.objects.filter(pk=email.pk, status=LoggedEmail.Status.UNMATCHED).update(
        status=LoggedEmail.Status.IGNORED, updated_at=clock.now()
    )
    email.refresh_from_db()
    return email


def attachment_for(*, user, public_id: str) -> EmailAttachment:
    """An attachment of a logged email `user` may read: one on a timeline of their accounts, or one they logged."""
    attachment = (
        EmailAttachment.objects.filter(public_id=public_id)
        .filter(
            Q(logged_email__in=LoggedEmail.objects.filter(scope_filter(user=user)))
            | Q(logged_email__logged_by_id=getattr(user, "pk", None), logged_email__logged_by__isnull=False)
        )
        .first()
    )
    if attachment is None:
        raise NotFound(CrmErrorCode.NOT_FOUND, "No such attachment.", "attachment")
    return attachment
