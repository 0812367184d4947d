from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from autosales.core import ids
from autosales.core.models import BaseModel
from autosales.core.money import CurrencyField, MoneyField
from autosales.core.timezones import time_zone_or_shop, validate_zone_name
from autosales.customers.reminder_schedule import validate_reminder_days


class User(AbstractUser):
    """A person who signs in: a customer's member or a member of staff."""

    email = models.EmailField("email address", blank=True, db_index=True)
    phone = models.CharField(max_length=32, blank=True)
    # The organization the user last chose to act for; see selectors.organization_for_user.
    current_organization = models.ForeignKey(
        "customers.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"


class Organization(BaseModel):
    """A customer account: a business, or a private customer's own one-person account."""

    class Kind(models.TextChoices):
        BUSINESS = "business", _("Business")
        PRIVATE = "private", _("Private customer")

    public_id = models.CharField(max_length=32, unique=True, default=ids.public_id, editable=False)
    name = models.CharField(max_length=200, db_index=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.BUSINESS)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    tax_id = models.CharField("tax id", max_length=64, blank=True)
    # A resale or exemption certificate on file: no sales tax is charged on its orders (checkout.pricing.quote),
    # and its orders and invoices name the certificate instead of a tax.
    tax_exemption_certificate = models.CharField(
        "tax exemption certificate",
        max_length=64,
        blank=True,
        help_text="A resale or exemption certificate number; when set, no sales tax is charged on its orders.",
    )
    # Blank: the shop's zone (SHOP_TIME_ZONE). Read through `local_time_zone`.
    timezone = models.CharField(
        "time zone",
        max_length=64,
        blank=True,
        validators=[validate_zone_name],
        help_text="An IANA name such as America/Chicago or Pacific/Auckland; blank for the shop's time zone. "
        "Its members and its emails read dates and times in it, and its new standing orders follow it.",
    )
    # Blank: the shop's language (SHOP_LANGUAGE). Read through `email_language`.
    language = models.CharField(
        "language",
        max_length=16,
        blank=True,
        choices=settings.LANGUAGES,
        help_text="The language of its emails; blank for the shop's language.",
    )
    currency = CurrencyField()
    # Vendor-account terms: an organization may charge orders to its account only when
    # it has terms and is not on credit hold.
    has_account_terms = models.BooleanField(default=False)
    payment_terms_days = models.PositiveSmallIntegerField(default=30)
    credit_limit = MoneyField(default=0)
    credit_hold = models.BooleanField(default=False)
    # Billing (see docs/billing.md): how its account orders are invoiced, when invoices fall due, who gets them,
    # and the account's balance as the billing ledger keeps it (the sum of its ledger entries, kept here in the
    # same transaction as each entry so the credit-limit check reads it without joining the ledger).
    invoicing = models.CharField(
        max_length=16,
        choices=[
            ("per_shipment", "An invoice per shipment"),
            ("per_order", "An invoice per order, at placement"),
            ("monthly", "One invoice a month"),
        ],
        default="per_shipment",
    )
    terms_basis = models.CharField(
        "due date",
        max_length=16,
        choices=[("net", "Net N days after the invoice"), ("end_of_month", "End of the invoice's month + N days")],
        default="net",
    )
    billing_email = models.CharField(
        "billing contacts",
        max_length=500,
        blank=True,
        help_text="Email addresses for invoices and statements, separated by commas; blank: the account admins.",
    )
    reminder_days = models.CharField(
        "overdue reminders",
        max_length=100,
        blank=True,
        help_text="Days relative to the due date on which to remind, e.g. -3,0,7,14; blank: the shop's default.",
        validators=[validate_reminder_days],
    )
    credit_hold_after_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Put on credit hold this many days overdue; blank: the shop's default.",
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
    )
    account_balance = MoneyField(default=0, editable=False)
    salesperson = models.ForeignKey(
        "customers.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="accounts",
        limit_choices_to={"is_staff": True},
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["kind", "name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_tax_exempt(self) -> bool:
        return bool(self.tax_exemption_certificate.strip())

    @property
    def local_time_zone(self) -> str:
        """The zone its members and its emails read dates in: its own, or the shop's."""
        return time_zone_or_shop(self.timezone)

    @property
    def email_language(self) -> str:
        """The language its emails are written in: its own, or the shop's."""
        return self.language or settings.LANGUAGE_CODE

    @property
    def terms_label(self) -> str:
        if not self.has_account_terms:
            return "Pay now"
        if self.terms_basis == "end_of_month":
            return f"End of month + {self.payment_terms_days}"
        return f"Net {self.payment_terms_days}"


class Membership(BaseModel):
    """A user's place in an organization, with a role."""

    class Role(models.TextChoices):
        BUYER = "buyer", _("Buyer")
        ADMIN = "admin", _("Account admin")

    public_id = models.CharField(max_length=32, unique=True, default=ids.public_id, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.BUYER)
    job_title = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.role})"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN


class Address(BaseModel):
    """An entry of an organization's address book."""

    public_id = models.CharField(max_length=32, unique=True, default=ids.public_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="addresses")
    label = models.CharField(max_length=64, blank=True, help_text="e.g. Main warehouse")
    name = models.CharField("recipient", max_length=200)
    company = models.CharField(max_length=200, blank=True)
    line1 = models.CharField("address line 1", max_length=200)
    line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField("state / region", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20)
    country = CountryField(default="US")
    phone = models.CharField(max_length=32, blank=True)
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_default", "label", "id"]
        verbose_name_plural = "addresses"
        constraints = [
            models.UniqueConstraint(fields=["organization"], condition=Q(is_default=True), name="address_one_default")
        ]

    def __str__(self) -> str:
        return ", ".join(p for p in [self.name, self.line1, self.city, self.postal_code, str(self.country)] if p)

    def lines(self) -> list[str]:
        city = " ".join(p for p in [self.city, self.region, self.postal_code] if p)
        rows = [self.name, self.company, self.line1, self.line2, city, self.country.name]
        return [r for r in rows if r]


class Invitation(BaseModel):
    """An account admin's invitation for a colleague to join the organization."""

    public_id = models.CharField(max_length=32, unique=True, default=ids.public_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Membership.Role.choices, default=Membership.Role.BUYER)
    token = models.CharField(max_length=64, unique=True, default=ids.token, editable=False)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    def __str__(self) -> str:
        return f"{self.email} → {self.organization}"

    def is_expired(self, *, at) -> bool:
        return at >= self.expires_at


class ApiToken(BaseModel):
    """A bearer token for the JSON API. Only a hash is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, default="api")
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
