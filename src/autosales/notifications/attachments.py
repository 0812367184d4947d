"""Attachments made at delivery from a reference, so the outbox keeps a pointer (an invoice's id), not the file.

The app that owns the document registers how to make it, once, when Django starts:

    @attachment_renderer("billing.document_pdf")
    def document_pdf(reference: str) -> Attachment: ...

and queues an email with `attachments=[attachment_reference(kind="billing.document_pdf", reference=...)]`.
Delivery makes the file when it builds the message; a renderer that fails fails that email like a broken
template would (and it is retried or reported the same way).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from autosales.core.errors import DomainError
from autosales.notifications.errors import NotificationError

RENDER = "render"
REFERENCE = "reference"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str


_RENDERERS: dict[str, Callable[[str], Attachment]] = {}


def attachment_renderer(kind: str) -> Callable[[Callable[[str], Attachment]], Callable[[str], Attachment]]:
    """Registers the decorated function as the maker of `kind` attachments from their reference."""

    def register(func: Callable[[str], Attachment]) -> Callable[[str], Attachment]:
        _RENDERERS[kind] = func
        return func

    return register


def attachment_reference(*, kind: str, reference: str) -> dict:
    """An outbox attachment row that delivery renders (see `attachment_render`)."""
    if kind not in _RENDERERS:
        raise DomainError(NotificationError.UNKNOWN_TEMPLATE, f"No attachment renderer {kind!r}.", field="attachments")
    return {RENDER: kind, REFERENCE: str(reference)}


def attachment_render(row: dict) -> Attachment:
    """The file of a rendered-at-delivery attachment row; raises what its renderer raises."""
    try:
        renderer = _RENDERERS[row[RENDER]]
    except KeyError:
        raise DomainError(
            NotificationError.UNKNOWN_TEMPLATE, f"No attachment renderer {row[RENDER]!r}.", field="attachments"
        ) from None
    return renderer(row[REFERENCE])
