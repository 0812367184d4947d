"""Forms staff fill in: a payment received, a credit note, a fee charged. Shared by the back office (and any other UI)."""

from django import forms

from autosales.billing.models import PaymentReceived

METHODS = [(m.value, m.label) for m in PaymentReceived.Method if m != PaymentReceived.Method.CARD]


class PaymentForm(forms.Form):
    method = forms.ChoiceField(choices=METHODS)
    amount = forms.CharField(max_length=30)
    received_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(max_length=140, required=False, help_text="The bank's reference or the cheque number")
    payer = forms.CharField(max_length=200, required=False)
    allocation = forms.ChoiceField(
        choices=[("oldest", "Oldest due invoices first"), ("manual", "The amounts I enter below")],
        initial="oldest",
        widget=forms.RadioSelect,
    )


class CreditNoteForm(forms.Form):
    description = forms.CharField(max_length=420, required=False, help_text="An amount off: what it is for")
    amount = forms.CharField(max_length=30, required=False)
    credit_shipping = forms.BooleanField(required=False, label="Credit the shipping")
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class ChargeForm(forms.Form):
    """A fee charged to an on-account customer: one invoice line no order has."""

    description = forms.CharField(max_length=420, help_text="What it is for, e.g. Restocking fee, RMA 1042")
    amount = forms.CharField(max_length=30)
    key = forms.CharField(max_length=48, widget=forms.HiddenInput)
