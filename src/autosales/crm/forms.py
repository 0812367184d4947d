"""Forms of the CRM pages: they parse what a person typed; the services check it and name the field of a mistake.

Dates and times are typed in the salesperson's own zone (`zone`), and stored in UTC.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django import forms

from autosales.core.errors import DomainError
from autosales.crm.models import LOGGED_KINDS, Activity, AutomationRule, Contact, Task


def domain_error_to_form(form: forms.Form, error: DomainError) -> None:
    """Show a service's error on its field (or on the whole form when the field is not on it)."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def local_datetime(value: dt.datetime | None, zone: str) -> dt.datetime | None:
    """A naive date and time typed by the user, read in `zone`, as an aware UTC moment."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(zone))
    return value.astimezone(dt.UTC)


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class ProfileForm(forms.Form):
    segment = forms.CharField(max_length=60, required=False)
    industry = forms.CharField(max_length=100, required=False)
    website = forms.CharField(max_length=200, required=False)
    phone = forms.CharField(label="Main phone", max_length=40, required=False)
    phone_other = forms.CharField(label="Other phone", max_length=40, required=False)
    tags = forms.CharField(max_length=500, required=False, help_text="Separated by commas")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    shared_with = forms.MultipleChoiceField(
        label="Shared with", required=False, widget=forms.CheckboxSelectMultiple, help_text="Colleagues who work it too"
    )

    def __init__(self, *args, colleagues=(), **kwargs):
        super().__init__(*args, **kwargs)
        if colleagues:
            self.fields["shared_with"].choices = [(str(u.pk), u.get_full_name() or u.username) for u in colleagues]
        else:
            del self.fields["shared_with"]  # only the owner or a manager decides the sharing

    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data.get("tags", "").split(",") if t.strip()]


class ProspectForm(forms.Form):
    name = forms.CharField(max_length=200)
    email = forms.CharField(max_length=254, required=False)
    website = forms.CharField(max_length=200, required=False)
    phone = forms.CharField(max_length=40, required=False)


class ContactForm(forms.Form):
    name = forms.CharField(max_length=200)
    title = forms.CharField(label="Job title", max_length=100, required=False)
    roles = forms.MultipleChoiceField(choices=Contact.Role.choices, required=False, widget=forms.CheckboxSelectMultiple)
    email = forms.CharField(max_length=254, required=False)
    phone = forms.CharField(max_length=40, required=False)
    mobile = forms.CharField(max_length=40, required=False)
    preferred_channel = forms.ChoiceField(choices=[("", "—"), *Contact.Channel.choices], required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class LogActivityForm(forms.Form):
    """An activity and, optionally, its follow-up task, in one submission."""

    kind = forms.ChoiceField(
        choices=[(k.value, k.label) for k in LOGGED_KINDS], initial="call", widget=forms.RadioSelect
    )
    contact = forms.ChoiceField(required=False)
    subject = forms.CharField(max_length=300, required=False)
    body = forms.CharField(label="Notes", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    direction = forms.ChoiceField(choices=[("", "—"), *Activity.Direction.choices], required=False)
    outcome = forms.ChoiceField(choices=[("", "—"), *Activity.Outcome.choices], required=False)
    duration_minutes = forms.IntegerField(label="Minutes", min_value=0, max_value=1440, required=False)
    location = forms.CharField(max_length=300, required=False)
    follow_up = forms.BooleanField(label="Follow-up task", required=False)
    follow_up_title = forms.CharField(label="Task", max_length=200, required=False)
    follow_up_kind = forms.ChoiceField(label="Kind", choices=Task.Kind.choices, initial="call", required=False)
    follow_up_due = forms.DateTimeField(label="Due", widget=LocalDateTimeInput(), required=False)

    def __init__(self, *args, contacts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].choices = [("", "—"), *[(c.public_id, c.name) for c in contacts]]

    def clean(self):
        data = super().clean()
        if data.get("follow_up"):
            if not data.get("follow_up_title"):
                self.add_error("follow_up_title", "Name the follow-up task.")
            if not data.get("follow_up_due"):
                self.add_error("follow_up_due", "When is the follow-up due?")
        return data


class TaskForm(forms.Form):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=Task.Kind.choices, initial="call")
    due_at = forms.DateTimeField(label="Due", widget=LocalDateTimeInput())
    priority = forms.TypedChoiceField(choices=Task.Priority.choices, coerce=int, initial=Task.Priority.NORMAL)
    contact = forms.ChoiceField(required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    recurrence = forms.CharField(
        label="Repeat (RRULE)", max_length=500, required=False, help_text="e.g. FREQ=MONTHLY;BYMONTHDAY=1"
    )
    reminder_offsets = forms.CharField(
        label="Remind (minutes before)", max_length=100, required=False, help_text="e.g. 1440, 15; blank: your settings"
    )

    def __init__(self, *args, contacts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].choices = [("", "—"), *[(c.public_id, c.name) for c in contacts]]


class SnoozeForm(forms.Form):
    minutes = forms.TypedChoiceField(
        choices=[(15, "15 minutes"), (60, "1 hour"), (240, "4 hours"), (1440, "1 day"), (10080, "1 week")], coerce=int
    )


class SettingsForm(forms.Form):
    timezone = forms.CharField(label="Time zone", max_length=64, required=False)
    reminder_offsets = forms.CharField(label="Remind me (minutes before)", max_length=100, required=False)
    remind_by_email = forms.BooleanField(required=False)
    remind_in_app = forms.BooleanField(required=False)
    digest_enabled = forms.BooleanField(label="Daily digest", required=False)
    digest_hour = forms.IntegerField(min_value=0, max_value=23)


class WriteEmailForm(forms.Form):
    contact = forms.ChoiceField(label="To")
    subject = forms.CharField(max_length=300)
    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 6}), max_length=50_000)

    def __init__(self, *args, contacts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].choices = [(c.public_id, f"{c.name} <{c.email}>") for c in contacts if c.email]


class RuleForm(forms.Form):
    """One automation rule's settings (crm.automation.rule_save checks them and names the field of a mistake)."""

    enabled = forms.BooleanField(label="On", required=False)
    days = forms.IntegerField(min_value=0, max_value=365)
    action = forms.ChoiceField(choices=AutomationRule.Action.choices, initial=AutomationRule.Action.TASK)
    email_subject = forms.CharField(label="Email subject", max_length=300, required=False)
    email_body = forms.CharField(
        label="Email text", widget=forms.Textarea(attrs={"rows": 5}), max_length=20000, required=False
    )

    def __init__(self, *args, spec=None, **kwargs):
        super().__init__(*args, **kwargs)
        if spec is not None:
            self.fields["days"].label = spec.days_label.capitalize()
            self.fields["days"].max_value = spec.max_days
            if not spec.can_email:  # a rule that only makes tasks
                for name in ("action", "email_subject", "email_body"):
                    del self.fields[name]


class RuleStepForm(forms.Form):
    """A chain step: when a task of `rule` is done with `outcome`, the task `title` is due `days` later."""

    rule = forms.ChoiceField(label="When a task of the rule")
    outcome = forms.ChoiceField(label="is done with the outcome", choices=Task.Outcome.choices)
    title = forms.CharField(label="make the task", max_length=200, help_text="e.g. Call {customer} again")
    kind = forms.ChoiceField(choices=Task.Kind.choices, initial=Task.Kind.CALL)
    days = forms.IntegerField(label="due after (days)", min_value=0, max_value=365, initial=2)

    def __init__(self, *args, rules=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = [(spec.code, spec.label) for spec in rules]
