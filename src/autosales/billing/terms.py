"""When an invoice falls due: net N days after it, or the end of its month plus N days (per organization)."""

import calendar
import datetime as dt

from autosales.customers.models import Organization


def due_date_for(*, organization: Organization, issue_date: dt.date) -> dt.date:
    days = organization.payment_terms_days if organization.has_account_terms else 0
    if organization.terms_basis == "end_of_month":
        last = calendar.monthrange(issue_date.year, issue_date.month)[1]
        return issue_date.replace(day=last) + dt.timedelta(days=days)
    return issue_date + dt.timedelta(days=days)
