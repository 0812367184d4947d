"""Which emails are security emails, and who may read them: the one place that decides both.

A security email carries a way into an account (a password-reset link, an invitation, a token, a confirmation of
a changed email address). Its row is flagged `sensitive` when it is queued, and every page that shows an email
body asks `email_body_visible_to` first: a security email's body is for its recipient only, whoever else may see
the outbox.
"""

from email.utils import parseaddr

# Templates (under emails/) whose emails open an account. A new security email adds its template here; the
# token and email-change names are reserved for those emails.
SENSITIVE_TEMPLATES = frozenset(
    {
        "customers/invitation",
        "customers/password_reset",
        "customers/email_change",
        "customers/token_created",
    }
)


def email_is_sensitive(*, template: str) -> bool:
    """Whether an email made from `template` is a security email.

    An email without a template was built by Django code itself (the password-reset email, error reports to the
    admins): what we did not write we cannot vouch for, so it is treated as a security email too.
    """
    return not template or template in SENSITIVE_TEMPLATES


def email_addressed_to(*, email, user) -> bool:
    """Whether `user`'s email address is one of the email's recipients (to, cc or bcc; case-insensitive)."""
    address = (getattr(user, "email", "") or "").strip().lower()
    if not address:
        return False
    recipients = [*email.to, *email.cc, *email.bcc]
    return any((parseaddr(r)[1] or r).strip().lower() == address for r in recipients)


def email_body_visible_to(*, email, user) -> bool:
    """Whether `user` may read the email's body: anyone allowed to see the email, unless it is a security email,
    whose body only its recipient reads."""
    return not email.sensitive or email_addressed_to(email=email, user=user)
