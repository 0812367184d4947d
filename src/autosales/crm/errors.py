from enum import StrEnum


class CrmErrorCode(StrEnum):
    REQUIRED = "required"
    INVALID = "invalid"
    PHONE_INVALID = "phone_invalid"
    EMAIL_INVALID = "email_invalid"
    URL_INVALID = "url_invalid"
    CHOICE_INVALID = "choice_invalid"
    TOO_LONG = "too_long"
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"
    TASK_CLOSED = "task_closed"
    TASK_STATUS = "task_status"
    DUE_INVALID = "due_invalid"
    RULE_INVALID = "rule_invalid"
    OWNER_INVALID = "owner_invalid"
    DUPLICATE = "duplicate"
    MESSAGE_INVALID = "message_invalid"
