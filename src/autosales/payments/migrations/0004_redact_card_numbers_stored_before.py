"""Card numbers typed where a card token was expected used to be stored: blank such tokens, redact error texts."""

from django.db import migrations

from autosales.payments.card_numbers import card_numbers_redact, contains_card_number

# Only rows with two digits side by side can hold a card number: the rest are not read.
DIGITS = r"[0-9][0-9]"


def redact_stored_card_numbers(apps, schema_editor):
    Payment = apps.get_model("payments", "Payment")
    for payment in Payment.objects.filter(token__regex=DIGITS).only("pk", "token").iterator():
        if contains_card_number(payment.token):
            Payment.objects.filter(pk=payment.pk).update(token="")
    for payment in Payment.objects.filter(last_error__regex=DIGITS).only("pk", "last_error").iterator():
        redacted = card_numbers_redact(payment.last_error)
        if redacted != payment.last_error:
            Payment.objects.filter(pk=payment.pk).update(last_error=redacted)


class Migration(migrations.Migration):
    dependencies = [("payments", "0003_payment_request_action_required_methods_on_file")]

    operations = [migrations.RunPython(redact_stored_card_numbers, migrations.RunPython.noop)]
