"""The demo staff: a salesperson, a fulfillment clerk and a manager, each in their staff group."""

from __future__ import annotations

from django.contrib.auth.models import Group

from autosales.demo.sign_ins import user_ensure

STAFF = [
    # username, first name, last name, group (all three are staff)
    ("sales", "Riley", "Morgan", "salesperson"),
    ("clerk", "Chris", "Park", "fulfillment"),
    ("manager", "Jordan", "Blake", "manager"),
]


def demo_staff_load() -> int:
    """The salesperson, fulfillment clerk and manager exist, each in their staff group; returns the rows created."""
    created = 0
    for username, first_name, last_name, group_name in STAFF:
        group, was_created = Group.objects.get_or_create(name=group_name)
        created += was_created
        user, was_created = user_ensure(
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=f"{username}@brightbulbs.example.com",
            is_staff=True,
        )
        created += was_created
        if not user.groups.filter(pk=group.pk).exists():
            user.groups.add(group)
    return created
