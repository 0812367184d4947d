from enum import StrEnum

from autosales.core.errors import Conflict


class RecurringError(StrEnum):
    NOT_FOUND = "standing_order_not_found"
    NO_LINES = "standing_order_no_lines"
    QUANTITY_INVALID = "quantity_invalid"
    VARIANT_NOT_FOR_SALE = "variant_not_for_sale"
    START_IN_PAST = "start_in_past"
    END_BEFORE_START = "end_before_start"
    END_CONFLICT = "end_conflict"
    MAX_OCCURRENCES_INVALID = "max_occurrences_invalid"
    NOTICE_DAYS_INVALID = "notice_days_invalid"
    RETRY_DAYS_INVALID = "retry_days_invalid"
    ADDRESS_REQUIRED = "address_required"
    SHIPPING_METHOD_REQUIRED = "shipping_method_required"
    PAYMENT_KIND_INVALID = "payment_kind_invalid"
    CARD_TOKEN_REQUIRED = "card_token_required"
    ACCOUNT_UNAVAILABLE = "account_unavailable"
    NOT_AN_OCCURRENCE = "not_an_occurrence"
    ALREADY_PROCESSED = "occurrence_already_processed"
    ILLEGAL_TRANSITION = "standing_order_illegal_transition"
    PAUSE_UNTIL_INVALID = "pause_until_invalid"
    STOCK_POLICY_INVALID = "stock_policy_invalid"
    SCHEDULE_REQUIRED = "schedule_required"
    SCHEDULE_CONFLICT = "schedule_conflict"
    RUN_CLAIM_LOST = "run_claim_lost"
    MOVE_TO_WORKING_DAY_INVALID = "move_to_working_day_invalid"


class RunClaimLost(Conflict):
    """A scheduler worker's lease on a run ran out and another worker took it: this one writes nothing."""
