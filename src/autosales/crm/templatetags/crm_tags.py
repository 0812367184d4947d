from django import template

from autosales.crm.phones import phone_display

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """A stored E.164 number the way people read it."""
    return phone_display(value)
