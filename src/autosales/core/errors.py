"""Domain errors are values with a code, a message for people, and the field they are about."""

from enum import StrEnum

# No text field takes a NUL character: PostgreSQL cannot store one. Every entry point refuses it with this reason.
NUL = "\x00"
NUL_REASON = "contains a NUL character"


class DomainError(Exception):
    """Raised by services; the API and the pages turn it into a 4xx with the field and the reason."""

    status = 400

    def __init__(self, code: str | StrEnum, message: str, field: str | None = None):
        super().__init__(message)
        self.code = str(code)
        self.message = message
        self.field = field

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "field": self.field}


class NotFound(DomainError):
    status = 404


class PermissionDenied(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409
