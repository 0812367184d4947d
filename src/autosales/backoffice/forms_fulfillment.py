"""Forms of the clerk's pages."""

from django import forms

from autosales.fulfillment.selectors import centers_for_user
from autosales.inventory.models import Warehouse
from autosales.pricing.shipping import ShippingMethod

MAX_BATCH = 200  # orders on one pick list: a cart's worth, and a bound on the PDF's size


def centers_of(user) -> list[Warehouse]:
    """The active centers the user works for (all of them unless assigned to some), by priority."""
    return list(centers_for_user(user=user))


class QueueFilterForm(forms.Form):
    """The queue's filters; the choices are given (one query each), so the form itself queries nothing."""

    center = forms.ChoiceField(label="Distribution center")
    method = forms.ChoiceField(label="Shipping method", required=False)
    requested_by = forms.DateField(
        label="Requested delivery by", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    late = forms.BooleanField(label="Late only", required=False)

    def __init__(self, data, *, centers: list[Warehouse], methods: list[ShippingMethod]):
        data = data.copy()
        if not data.get("center") and centers:
            data["center"] = centers[0].code
        super().__init__(data)
        self.centers = {c.code: c for c in centers}
        self.fields["center"].choices = [(c.code, f"{c.code} — {c.name}") for c in centers]
        self.fields["method"].choices = [("", "Any"), *((m.code, m.name) for m in methods)]

    @property
    def warehouse(self) -> Warehouse:
        return self.centers[self.cleaned_data["center"]]
