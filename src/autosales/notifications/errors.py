from enum import StrEnum


class NotificationError(StrEnum):
    INVALID_RECIPIENT = "invalid_recipient"
    NO_RECIPIENT = "no_recipient"
    UNKNOWN_TEMPLATE = "unknown_template"
    INVALID_MESSAGE_ID = "invalid_message_id"
    NOT_RESENDABLE = "not_resendable"
    NOT_YOURS = "not_yours"
    BAD_TRANSITION = "bad_transition"
    NO_TITLE = "no_title"
    BAD_EMAIL_URL = "bad_email_url"
    INVALID_TIME_ZONE = "invalid_time_zone"
