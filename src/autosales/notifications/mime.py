"""An outbox email as it goes on the wire: the MIME message's bytes, written straight from the row.

Django's `EmailMultiAlternatives.message()` followed by `as_bytes()` builds the same message through the stdlib
`email` package's object model and generator (header folding, a regular expression compiled per boundary), which
costs more than the SMTP conversation itself. The structure of an outbox email is always the same, so it is
written here directly, with the stdlib's encoders for each piece and Django's `sanitize_address` for addresses:

    multipart/mixed                  (only with attachments)
      multipart/alternative          (only with an HTML body)
        text/plain; charset="utf-8"
        text/html; charset="utf-8"
      <attachment>                   base64, Content-Disposition: attachment; filename=...

Headers: Subject, From, To, Cc, Reply-To, Date, Message-ID and the row's own headers (List-Unsubscribe, ...),
a row's header replacing the one made here of the same name, as Django does. Bcc is an envelope recipient only.
Text bodies are 8bit UTF-8 (7bit when ASCII), quoted-printable when a line is longer than SMTP allows.
"""

from __future__ import annotations

import base64
import functools
import re
import secrets
from dataclasses import dataclass
from email import quoprimime
from email.header import Header
from email.utils import encode_rfc2231, format_datetime, quote

from django.core.mail.message import sanitize_address

from autosales.core import clock

CRLF = b"\r\n"
# RFC 5322: a line is at most 998 characters; headers are folded past 78.
_MAX_LINE = 998
_FOLD_AT = 78
_ENCODING = "utf-8"
# A bare ASCII address (dot-atom@domain) that `sanitize_address` would give back unchanged.
_PLAIN_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
)


@dataclass(frozen=True)
class Part:
    """An attachment as it is sent."""

    filename: str
    content: bytes
    mimetype: str


@dataclass(frozen=True)
class Wire:
    """An email as the SMTP conversation sends it: envelope sender, envelope recipients, the message's bytes."""

    sender: str
    recipients: list[str]
    data: bytes


@functools.lru_cache(maxsize=1024)
def _sanitized(address: str) -> str:
    return sanitize_address(address, _ENCODING)


def is_plain_address(address: str) -> bool:
    """A bare ASCII address (dot-atom@domain): no display name, nothing to encode, parsed as itself."""
    return _PLAIN_ADDRESS.fullmatch(address) is not None


def _address(address: str) -> str:
    """The address as headers and the envelope carry it (names encoded, IDNA domains), as Django writes it."""
    if is_plain_address(address):
        return address
    return _sanitized(address)


def _header(name: str, value: str) -> bytes:
    """One header line (folded, encoded words when it is not ASCII); a value with a line break is refused."""
    value = str(value)
    if "\n" in value or "\r" in value:
        raise ValueError(f"Header values can't contain newlines (got {value!r} for header {name!r})")
    if value.isascii() and len(name) + 2 + len(value) <= _FOLD_AT:
        return f"{name}: {value}".encode("ascii")
    charset = "us-ascii" if value.isascii() else _ENCODING
    folded = Header(value, charset, header_name=name).encode(linesep="\r\n")
    return f"{name}: {folded}".encode("ascii")


def _addresses(name: str, addresses: list[str]) -> bytes:
    line = ", ".join(addresses)
    if len(name) + 2 + len(line) > _FOLD_AT:
        line = ",\r\n ".join(addresses)
    return f"{name}: {line}".encode("ascii")


def _text(body: str, subtype: str) -> tuple[list[bytes], bytes]:
    """(headers, body) of a UTF-8 text part, its lines ended with CRLF."""
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    lines = body.split("\n")
    # A line of at most _MAX_LINE // 4 characters is at most _MAX_LINE bytes: most bodies need no closer look.
    if max(map(len, lines)) > _MAX_LINE // 4 and any(len(line.encode(_ENCODING)) > _MAX_LINE for line in lines):
        # As the stdlib's QP charset does it: the UTF-8 bytes, one per latin-1 character, quoted-printable.
        data = quoprimime.body_encode(body.encode(_ENCODING).decode("latin-1"), eol="\r\n").encode("ascii")
        encoding = "quoted-printable"
    else:
        data = body.replace("\n", "\r\n").encode(_ENCODING)
        encoding = "7bit" if data.isascii() else "8bit"
    headers = [
        f'Content-Type: text/{subtype}; charset="{_ENCODING}"'.encode("ascii"),
        f"Content-Transfer-Encoding: {encoding}".encode("ascii"),
    ]
    return headers, data


def _filename(filename: str) -> str:
    if filename.isascii() and "\r" not in filename and "\n" not in filename:
        return f'filename="{quote(filename)}"'
    return f"filename*={encode_rfc2231(filename, _ENCODING)}"


def _attachment(part: Part) -> tuple[list[bytes], bytes]:
    data = base64.encodebytes(part.content).replace(b"\n", CRLF).removesuffix(CRLF)
    headers = [
        f"Content-Type: {part.mimetype or 'application/octet-stream'}".encode("ascii"),
        b"Content-Transfer-Encoding: base64",
        f"Content-Disposition: attachment; {_filename(part.filename)}".encode("ascii"),
    ]
    return headers, data


def _multipart(subtype: str, parts: list[tuple[list[bytes], bytes]]) -> tuple[list[bytes], bytes]:
    """A multipart of `parts`, with a boundary that none of them contains."""
    while True:
        boundary = f"=_{secrets.token_hex(16)}".encode("ascii")
        if not any(boundary in body or any(boundary in h for h in headers) for headers, body in parts):
            break
    chunks = []
    for headers, body in parts:
        chunks.append(b"--" + boundary + CRLF + CRLF.join(headers) + CRLF + CRLF + body + CRLF)
    headers = [b"Content-Type: multipart/" + subtype.encode("ascii") + b'; boundary="' + boundary + b'"']
    return headers, b"".join(chunks) + b"--" + boundary + b"--" + CRLF


def wire(
    *,
    message_id: str,
    from_email: str,
    to: list[str],
    cc: list[str],
    bcc: list[str],
    reply_to: list[str],
    subject: str,
    body_text: str,
    body_html: str,
    headers: dict[str, str],
    attachments: list[Part],
) -> Wire:
    """The envelope and bytes of one email; raises ValueError for an address or header that cannot be sent."""
    given = {str(name).lower(): (str(name), str(value)) for name, value in headers.items()}
    sender = _address(from_email)
    recipients = [_address(address) for address in [*to, *cc, *bcc]]

    top: list[bytes] = [b"MIME-Version: 1.0", _header("Subject", subject)]
    if "from" in given:
        top.append(_header("From", given["from"][1]))
    else:
        top.append(_addresses("From", [sender]))
    for name, addresses in (("To", to), ("Cc", cc), ("Reply-To", reply_to)):
        if name.lower() in given:
            top.append(_header(name, given[name.lower()][1]))
        elif addresses:
            top.append(_addresses(name, [_address(address) for address in addresses]))
    if "date" not in given:
        top.append(_header("Date", format_datetime(clock.now())))
    top.append(_header("Message-ID", f"<{message_id}>"))
    for key, (name, value) in given.items():
        if key not in {"from", "to", "cc", "reply-to", "message-id", "mime-version"}:
            top.append(_header(name, value))

    content = _text(body_text, "plain")
    if body_html:
        content = _multipart("alternative", [content, _text(body_html, "html")])
    if attachments:
        content = _multipart("mixed", [content, *(_attachment(part) for part in attachments)])
    part_headers, body = content
    data = CRLF.join([*top, *part_headers]) + CRLF + CRLF + body
    return Wire(sender=sender, recipients=recipients, data=data)
