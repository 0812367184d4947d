from django.conf import settings
from django.db import models
from django.db.models import Q

from autosales.catalog.models import Variant
from autosales.core import ids
from autosales.core.models import BaseModel
from autosales.core.money import Money, MoneyField
from autosales.customers.models import Organization


class Cart(BaseModel):
    """What a shopper means to buy: a guest's (found by a random token kept in the session) or a
    signed-in user's for one organization."""

    token = models.CharField(max_length=64, unique=True, default=ids.token, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="carts"
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="carts"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"],
                condition=Q(user__isnull=False, organization__isnull=False),
                name="cart_one_per_user_and_organization",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(user__isnull=False, organization__isnull=True),
                name="cart_one_per_user_without_organization",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(organization__isnull=True),
                name="cart_organization_needs_user",
            ),
        ]

    def __str__(self) -> str:
        owner = self.user.username if self.user_id else "guest"
        return f"cart {self.pk} ({owner})"


class CartLine(BaseModel):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()
    # The unit price the shopper was shown when the line was added or last changed: the cart says when it moved.
    price_seen = MoneyField(null=True, blank=True)
    price_seen_currency = models.CharField(max_length=3, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "variant"], name="cart_line_unique_per_variant"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cart_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.variant_id}"

    @property
    def price_seen_money(self) -> Money | None:
        return Money(self.price_seen, self.price_seen_currency) if self.price_seen is not None else None
