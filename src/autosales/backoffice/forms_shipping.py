"""The ship form of one order at one center, and the small forms beside it (delivered, cancel the rest)."""

import secrets
from decimal import Decimal

from django import forms

from autosales.fulfillment.carriers import carriers
from autosales.fulfillment.queue import QueueLine

GRAMS_PER_KG = Decimal(1000)


def idempotency_key_new() -> str:
    """A key for one ship form as shown: submitting it twice ships once (the service replays the first)."""
    return f"web-{secrets.token_urlsafe(18)}"


def quantity_field_name(line_id: int) -> str:
    return f"qty_{line_id}"


class ShipForm(forms.Form):
    """Lines and quantities (default: everything allocated at the center), carrier, tracking, parcels, weight."""

    center = forms.CharField(widget=forms.HiddenInput, max_length=16)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=200)
    carrier = forms.ChoiceField(label="Carrier")
    tracking_number = forms.CharField(label="Tracking number", max_length=64)
    parcels = forms.IntegerField(label="Parcels", min_value=1, max_value=999, initial=1)
    weight_kg = forms.DecimalField(
        label="Weight (kg)", required=False, min_value=Decimal("0.001"), max_digits=8, decimal_places=3
    )

    def __init__(self, data=None, *, center: str, lines: tuple[QueueLine, ...]):
        initial = {"center": center, "idempotency_key": idempotency_key_new(), "parcels": 1}
        super().__init__(data, initial=initial, prefix=None)
        self.lines = lines
        self.fields["carrier"].choices = [("", "Choose…")] + [
            (c.code, c.name) for c in sorted(carriers().values(), key=lambda c: c.name)
        ]
        for line in lines:
            self.fields[quantity_field_name(line.line_id)] = forms.IntegerField(
                label=f"{line.sku} to ship",
                min_value=0,
                max_value=line.allocated,
                initial=line.allocated,
                required=False,
            )

    def line_rows(self):
        """(line, its quantity field) pairs for the template."""
        return [(line, self[quantity_field_name(line.line_id)]) for line in self.lines]

    def quantities(self) -> dict[int, int]:
        return {line.line_id: self.cleaned_data.get(quantity_field_name(line.line_id)) or 0 for line in self.lines}

    def weight_grams(self) -> int | None:
        kg = self.cleaned_data.get("weight_kg")
        return None if kg is None else int(kg * GRAMS_PER_KG)

    def field_for(self, service_field: str | None) -> str | None:
        """The form field a service error names ("lines.12" is line 12's quantity; grams are the kilograms)."""
        if not service_field:
            return None
        if service_field.startswith("lines."):
            name = quantity_field_name(int(service_field.split(".", 1)[1]))
            return name if name in self.fields else None
        if service_field == "lines":
            return None
        if service_field == "weight_grams":
            return "weight_kg"
        return service_field if service_field in self.fields else None


class CancelRemainderForm(forms.Form):
    reason = forms.CharField(
        label="Reason (the customer sees it)", max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class DeliveredForm(forms.Form):
    delivered_on = forms.DateField(
        label="Delivered on", required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="Empty: now"
    )
