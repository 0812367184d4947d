"""Who can sign in to the demo: the demo users' password, the sign-ins printed at start, and how a demo user
is created (only when missing, so a re-run keeps what people changed)."""

from __future__ import annotations

from dataclasses import dataclass

from autosales.customers.models import User

DEMO_PASSWORD = "demo"


@dataclass(frozen=True)
class DemoSignIn:
    username: str
    role: str
    organization: str = ""


# The sign-ins printed at start, in the order people will want to try them.
SIGN_INS = (
    DemoSignIn("shopper", "Private customer", "Sam Taylor"),
    DemoSignIn("buyer", "Business buyer, net 30 on account, contract prices", "Northwind Facilities Management"),
    DemoSignIn("buyer2", "Business buyer, net 30 on account", "Lakeside Property Group"),
    DemoSignIn("sales", "Salesperson (owns the business accounts)"),
    DemoSignIn("clerk", "Fulfillment clerk (picks, packs, ships)"),
    DemoSignIn("manager", "Manager (catalog, prices, credit, users)"),
)


def user_ensure(
    *, username: str, first_name: str, last_name: str, email: str, is_staff: bool = False
) -> tuple[User, bool]:
    """The demo user with this username, created with the demo password if missing; True if created."""
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user, False
    user = User.objects.create_user(
        username=username,
        password=DEMO_PASSWORD,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_staff=is_staff,
    )
    return user, True
