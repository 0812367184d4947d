"""Goods-in forms: typed lines (SKU and quantity) with the delivery's reference, or a CSV file."""

from django import forms

from autosales.fulfillment.receiving import MAX_REFERENCE, MAX_UNITS
from autosales.fulfillment.selectors import variant_ids_by_sku

LINES = 10  # rows on the form; a longer delivery comes as a CSV
MAX_UPLOAD = 2 * 1024 * 1024


class ReceiveForm(forms.Form):
    """The delivery's reference and up to LINES rows `sku_N`, `quantity_N`; blank rows are ignored."""

    reference = forms.CharField(label="Reference (delivery note or PO)", max_length=MAX_REFERENCE, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, LINES + 1):
            self.fields[f"sku_{n}"] = forms.CharField(label=f"SKU {n}", max_length=64, required=False)
            self.fields[f"quantity_{n}"] = forms.IntegerField(
                label=f"Quantity {n}", min_value=1, max_value=MAX_UNITS, required=False
            )

    def rows(self):
        return [(self[f"sku_{n}"], self[f"quantity_{n}"]) for n in range(1, LINES + 1)]

    def clean(self):
        data = super().clean()
        wanted: list[tuple[int, str, int]] = []
        for n in range(1, LINES + 1):
            sku = (data.get(f"sku_{n}") or "").strip()
            quantity = data.get(f"quantity_{n}")
            if not sku and quantity is None:
                continue
            if not sku:
                self.add_error(f"sku_{n}", "Enter the SKU received.")
            elif quantity is None and f"quantity_{n}" not in self.errors:
                self.add_error(f"quantity_{n}", "Enter how many units of it were received.")
            elif quantity is not None:
                wanted.append((n, sku, quantity))
        if not wanted and not self.errors:
            raise forms.ValidationError("Enter at least one SKU and its quantity.")
        known = variant_ids_by_sku(sku for _, sku, _ in wanted)
        quantities: dict[int, int] = {}
        for n, sku, quantity in wanted:
            if sku not in known:
                self.add_error(f"sku_{n}", f'No product with SKU "{sku}".')
            else:
                quantities[known[sku]] = quantities.get(known[sku], 0) + quantity
        data["quantities"] = quantities
        return data


class ReceiptFileForm(forms.Form):
    file = forms.FileField(label="CSV file (sku, quantity, reference)")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(f"The file is over {MAX_UPLOAD // (1024 * 1024)} MB: split it.")
        return upload
