from django import template

from autosales.crm.phones import phone_display

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """A stored E.164 number the way people read it."""
    return phone_display(value)


@register.simple_tag
def task_outcomes() -> list[tuple[str, str]]:
    """The outcomes a task may be completed with (a rule's chain acts on them)."""
    from autosales.crm.models import Task

    return Task.Outcome.choices
