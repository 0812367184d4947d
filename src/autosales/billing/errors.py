from enum import StrEnum


class BillingError(StrEnum):
    NOT_FOUND = "billing_not_found"
    NOTHING_TO_INVOICE = "billing_nothing_to_invoice"
    OVER_INVOICED = "billing_over_invoiced"
    NOT_ACCOUNT_ORDER = "billing_not_account_order"
    ISSUED_INVOICE_IS_FINAL = "billing_issued_invoice_is_final"
    CREDIT_OVER_INVOICE = "billing_credit_over_invoice"
    BAD_AMOUNT = "billing_bad_amount"
    BAD_CURRENCY = "billing_bad_currency"
    BAD_METHOD = "billing_bad_method"
    BAD_DATE = "billing_bad_date"
    OVER_ALLOCATED = "billing_over_allocated"
    IDEMPOTENCY_MISMATCH = "billing_idempotency_mismatch"
    WRONG_ORGANIZATION = "billing_wrong_organization"
