"""The CRM: profiles of customer organizations (and prospects), their key people, one timeline of every
contact with them, the salespeople's tasks and the reminders those owe.

Everything hangs off `customers.Organization`: its salesperson is the account's owner, its notes, time zone,
terms and addresses are read from there, never copied.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from autosales.core import ids
from autosales.core.models import BaseModel
from autosales.core.money import CurrencyField, Money, MoneyField
from autosales.core.timezones import validate_zone_name
from autosales.customers.models import Organization


class Tag(BaseModel):
    """A label salespeople put on profiles ("key account", "hospitality", "lead from trade show")."""

    name = models.CharField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Profile(BaseModel):
    """What sales knows about an organization beyond the account itself; one per organization, prospects too.

    The owner is `Organization.salesperson`; `shared_with` are the other salespeople who work the account.
    """

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="crm_profile")
    segment = models.CharField(max_length=60, blank=True, db_index=True, help_text="e.g. Hospitality, Education")
    industry = models.CharField(max_length=100, blank=True)
    website = models.URLField(blank=True)
    # E.164 (+13125550100), checked and normalized by crm.phones; shown formatted.
    phone = models.CharField("main phone", max_length=32, blank=True)
    phone_other = models.CharField("other phone", max_length=32, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="profiles")
    shared_with = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="crm_shared_profiles",
        limit_choices_to={"is_staff": True},
        help_text="Other salespeople who see and work this account.",
    )

    def __str__(self) -> str:
        return f"Profile of {self.organization}"


class Contact(BaseModel):
    """A key person at an organization; may exist without a store login (`user`)."""

    class Role(models.TextChoices):
        DECISION_MAKER = "decision_maker", "Decision maker"
        PURCHASER = "purchaser", "Purchaser"
        ACCOUNTS_PAYABLE = "accounts_payable", "Accounts payable"
        RECEIVING = "receiving", "Receiving"
        TECHNICAL = "technical", "Technical"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        PHONE = "phone", "Phone"
        MOBILE = "mobile", "Mobile / text"
        VISIT = "visit", "In person"

    public_id = models.CharField(max_length=32, unique=True, default=ids.public_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="crm_contacts")
    name = models.CharField(max_length=200)
    title = models.CharField("job title", max_length=100, blank=True)
    roles = models.JSONField(default=list, blank=True, help_text="Roles in the buying process")
    email = models.EmailField(blank=True, db_index=True)
    phone = models.CharField(max_length=32, blank=True)
    mobile = models.CharField(max_length=32, blank=True)
    preferred_channel = models.CharField(max_length=16, choices=Channel.choices, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="crm_contacts"
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["organization", "name"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.organization})" if self.organization_id else self.name

    @property
    def role_labels(self) -> list[str]:
        labels = dict(self.Role.choices)
        return [labels.get(role, role) for role in self.roles]

    @property
    def has_login(self) -> bool:
        return self.user_id is not None


class ActivityKind(models.TextChoices):
    # Logged by people
    CALL = "call", "Call"
    VISIT = "visit", "Site visit"
    MEETING = "meeting", "Meeting"
    EMAIL = "email", "Email"
    NOTE = "note", "Note"
    # Written by the system from events of the other apps (crm.timeline_sync)
    ORDER = "order", "Order"
    STANDING_ORDER = "standing_order", "Standing order"
    EMAIL_SENT = "email_sent", "Email from the shop"
    SHIPMENT = "shipment", "Shipment"
    INVOICE = "invoice", "Invoice or credit note"
    PAYMENT = "payment", "Payment received"
    ACCOUNT = "account", "Reminder or credit hold"
    STORE_VISIT = "store_visit", "Store visit"
    # Written by an automation rule (crm.automation): the task or email it made, with the rule's name
    AUTOMATION = "automation", "Automatic action"


LOGGED_KINDS = (ActivityKind.CALL, ActivityKind.VISIT, ActivityKind.MEETING, ActivityKind.EMAIL, ActivityKind.NOTE)


class Activity(BaseModel):
    """One entry of an organization's timeline (and its contact's, when it concerns one person).

    System entries carry a `source_key` naming the event they come from ("order_event:42"); it is unique, so
    feeding the timeline twice from the same events never doubles an entry.
    """

    class Direction(models.TextChoices):
        OUTBOUND = "outbound", "Outbound"
        INBOUND = "inbound", "Inbound"

    class Outcome(models.TextChoices):
        CONNECTED = "connected", "Talked"
        VOICEMAIL = "voicemail", "Left a voicemail"
        NO_ANSWER = "no_answer", "No answer"
        BUSY = "busy", "Busy"
        WRONG_NUMBER = "wrong_number", "Wrong number"

    public_id = models.CharField(max_length=32, unique=True, default=ids.public_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="crm_activities")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=ActivityKind.choices)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    direction = models.CharField(max_length=10, choices=Direction.choices, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    location = models.CharField(max_length=300, blank=True, help_text="Where a visit or meeting took place")
    data = models.JSONField(default=dict, blank=True)
    source_key = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "activities"
        constraints = [
            models.UniqueConstraint(fields=["source_key"], condition=~Q(source_key=""), name="activity_source_once"),
        ]
        indexes = [
            models.Index(fields=["organization", "-at", "-id"], name="activity_timeline"),
            models.Index(fields=["contact", "-at", "-id"], name="activity_contact_timeline"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject or self.body[:40]}"

    @property
    def is_system(self) -> bool:
        return bool(self.source_key)


class SyncCursor(BaseModel):
    """How far the timeline feed has read one source of events (a moment, re-read with an overlap)."""

    source = models.CharField(max_length=40, unique=True)
    position = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.source} @ {self.position:%Y-%m-%d %H:%M:%S}"


def default_reminder_offsets() -> list[int]:
    return [24 * 60, 15]


class SalesSettings(BaseModel):
    """A salesperson's own settings: their time zone, reminders, digest and calendar feed."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="crm_settings")
    timezone = models.CharField(
        "time zone", max_length=64, blank=True, validators=[validate_zone_name], help_text="Blank: the shop's"
    )
    # Minutes before a task is due, e.g. [1440, 15]: one day and a quarter of an hour ahead.
    reminder_offsets = models.JSONField(default=default_reminder_offsets, blank=True)
    remind_by_email = models.BooleanField(default=True)
    remind_in_app = models.BooleanField(default=True)
    digest_enabled = models.BooleanField(default=True)
    digest_hour = models.PositiveSmallIntegerField(default=7, help_text="Local hour the daily digest is sent at")
    # The secret in the calendar feed's URL; a new one revokes the old URL.
    calendar_token = models.CharField(max_length=64, unique=True, default=ids.token)

    class Meta:
        verbose_name_plural = "sales settings"

    def __str__(self) -> str:
        return f"Settings of {self.user}"


class Task(BaseModel):
    """Something a salesperson has to do for a customer by a moment. Status changes only in crm.tasks."""

    class Kind(models.TextChoices):
        CALL = "call", "Call"
        EMAIL = "email", "Email"
        VISIT = "visit", "Visit"
        TODO = "todo", "To-do"

    class Priority(models.IntegerChoices):
        LOW = 1, "Low"
        NORMAL = 2, "Normal"
        HIGH = 3, "High"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    class Outcome(models.TextChoices):
        """How a done task went, chosen when it is completed; a rule's chain steps (RuleStep) act on it."""

        DONE = "done", "Done"
        NO_ANSWER = "no_answer", "No answer"
        VOICEMAIL = "voicemail", "Left a voicemail"
        CALL_BACK = "call_back", "Asked to be called back"
        INTERESTED_STANDING_ORDER = "interested_standing_order", "Interested in a standing order"
        ORDERED = "ordered", "Ordered"
        NOT_INTERESTED = "not_interested", "Not interested"

    public_id = models.CharField(max_length=32, unique=True, default=ids.public_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="crm_tasks")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="crm_tasks")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CALL)
    due_at = models.DateTimeField(db_index=True)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    notes = models.TextField(blank=True)
    # RFC 5545 RRULE, as standing orders: completing the task opens the next one on the rule's next date.
    recurrence = models.CharField("repeat rule (RRULE)", max_length=500, blank=True)
    # Minutes before `due_at` to remind the owner; null: the owner's settings.
    reminder_offsets = models.JSONField(null=True, blank=True)
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="crm_tasks"
    )
    invoice = models.ForeignKey(
        "billing.Invoice", null=True, blank=True, on_delete=models.SET_NULL, related_name="crm_tasks"
    )
    activity = models.ForeignKey(
        Activity,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
        help_text="The logged activity this task follows up",
    )
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="next_occurrence"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=32, choices=Outcome.choices, blank=True)
    # Made by an automation rule (its code, crm.automation.RULES) for one event: the key names the event, so the
    # rule makes at most one task per event whatever the re-runs, clock jumps and concurrent workers.
    rule = models.CharField(max_length=40, blank=True)
    automation_key = models.CharField(max_length=100, null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["due_at", "-priority", "id"]
        indexes = [models.Index(fields=["owner", "status", "due_at"], name="task_owner_due")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class AutomationRule(BaseModel):
    """The back office's switch and offset for one built-in automation rule (crm.automation.RULES); a rule with
    no row runs with its defaults."""

    class Action(models.TextChoices):
        TASK = "task", "A task for the account's owner"
        EMAIL = "email", "An email to the customer"

    code = models.CharField(max_length=40, unique=True)
    enabled = models.BooleanField(default=True)
    days = models.PositiveSmallIntegerField(default=0)
    action = models.CharField(max_length=8, choices=Action.choices, default=Action.TASK)
    # The email's subject and text, with placeholders such as {customer} (crm.rules.PLACEHOLDERS); blank: the rule's.
    email_subject = models.CharField(max_length=300, blank=True)
    email_body = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.code


class RuleStep(BaseModel):
    """A chain step: when a task of `rule` is completed with `outcome`, a task `title` is due `days` later for the
    same owner (once per completed task). The next task belongs to the same rule, so steps can repeat."""

    rule = models.CharField(max_length=40)
    outcome = models.CharField(max_length=32, choices=Task.Outcome.choices)
    title = models.CharField(max_length=200, help_text="e.g. Call {customer} again")
    kind = models.CharField(max_length=10, choices=Task.Kind.choices, default=Task.Kind.CALL)
    days = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["rule", "outcome"]
        constraints = [models.UniqueConstraint(fields=["rule", "outcome"], name="rule_step_once_per_outcome")]

    def __str__(self) -> str:
        return f"{self.rule} / {self.outcome} → {self.title}"


class Reminder(BaseModel):
    """One reminder sent: at most one per task, offset and due moment, so each is sent exactly once and a
    moved task (a new due moment) is reminded again for its new time."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="reminders")
    offset_minutes = models.PositiveIntegerField()
    due_at = models.DateTimeField()
    remind_at = models.DateTimeField()
    sent_at = models.DateTimeField()
    by_email = models.BooleanField(default=False)
    in_app = models.BooleanField(default=False)
    # Passed by a later reminder of the same due moment (the clock jumped, or the task was set up late): recorded
    # so that it is never sent afterwards, but nothing went out for it.
    skipped = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "offset_minutes", "due_at"], name="reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.task} −{self.offset_minutes} min"


class DigestSent(BaseModel):
    """The daily digest of one salesperson for one local date: the row makes it once a day."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="digest_once_a_day")]


def reminder_offset_label(minutes: int) -> str:
    delta = dt.timedelta(minutes=minutes)
    if minutes and minutes % (24 * 60) == 0:
        days = delta.days
        return f"{days} day{'s' if days != 1 else ''} before"
    if minutes and minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''} before"
    return f"{minutes} minutes before"


class LoggedEmail(BaseModel):
    """A message copied (BCC) or forwarded to the shop's logging address, or fed to `autosales crm log-email`.

    Its Message-ID is unique, so the same message is never logged twice; matched, it is an email entry on its
    organization's timeline (`activity`); unmatched, it waits in the inbox until someone assigns it.
    """

    class Status(models.TextChoices):
        LOGGED = "logged", "On a timeline"
        UNMATCHED = "unmatched", "Waiting to be assigned"
        IGNORED = "ignored", "Ignored"

    public_id = models.CharField(max_length=32, unique=True, default=ids.public_id, editable=False)
    message_id = models.CharField(max_length=998, unique=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UNMATCHED, db_index=True)
    from_address = models.CharField(max_length=320, blank=True)
    from_name = models.CharField(max_length=200, blank=True)
    to = models.JSONField(default=list, blank=True)
    cc = models.JSONField(default=list, blank=True)
    sent_at = models.DateTimeField(help_text="The Date header (when it was missing or unreadable: when received)")
    subject = models.CharField(max_length=998, blank=True)
    text = models.TextField(blank=True)
    forwarded = models.BooleanField(default=False)
    # The member of staff who sent or forwarded it, found by the sender's address.
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="crm_logged_emails"
    )
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    activity = models.OneToOneField(
        Activity, null=True, blank=True, on_delete=models.SET_NULL, related_name="logged_email"
    )
    received_via = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return self.subject or self.message_id


class EmailAttachment(BaseModel):
    """A file that came with a logged email, kept in the database with it."""

    logged_email = models.ForeignKey(LoggedEmail, on_delete=models.CASCADE, related_name="attachments")
    public_id = models.CharField(max_length=32, unique=True, default=ids.public_id, editable=False)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255)
    size = models.PositiveIntegerField()
    content = models.BinaryField()

    def __str__(self) -> str:
        return self.filename


class ReorderPrediction(BaseModel):
    """What an account's own orders (standing orders left out) say of its next one: of one variant, or with no
    variant of any order at all. Rewritten from the order history by crm.prediction.store; never edited."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="reorder_predictions")
    variant = models.ForeignKey("catalog.Variant", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    orders = models.PositiveIntegerField(help_text="Ordering days learned from")
    last_order_at = models.DateTimeField()
    interval_days = models.FloatField()
    next_on = models.DateField(db_index=True)
    expected_quantity = models.PositiveIntegerField()
    currency = CurrencyField()
    expected_value = MoneyField(help_text="Expected quantity at the last price (any product: the usual order)")
    confidence = models.FloatField(help_text="1: ordered like clockwork; 0: no rhythm")

    class Meta:
        ordering = ["next_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "variant"],
                condition=Q(variant__isnull=False),
                name="reorder_prediction_one_per_variant",
            ),
            models.UniqueConstraint(
                fields=["organization"], condition=Q(variant__isnull=True), name="reorder_prediction_one_overall"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.variant or 'any order'} · {self.next_on}"

    @property
    def every_weeks(self) -> int:
        return max(1, round(self.interval_days / 7))

    @property
    def expected(self) -> Money:
        return Money(self.expected_value, self.currency)
