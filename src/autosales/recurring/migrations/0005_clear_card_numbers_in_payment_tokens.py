"""A card number typed as a standing order's card token used to be stored: clear it.

Such a standing order's next run then asks the customer (by the payment-failed email) to enter the card again.
"""

from django.db import migrations

from autosales.payments.card_numbers import card_numbers_redact, contains_card_number

DIGITS = r"[0-9][0-9]"


def clear_card_numbers(apps, schema_editor):
    StandingOrder = apps.get_model("recurring", "StandingOrder")
    Run = apps.get_model("recurring", "Run")
    for standing_order in StandingOrder.objects.filter(payment_token__regex=DIGITS).only("pk", "payment_token"):
        if contains_card_number(standing_order.payment_token):
            StandingOrder.objects.filter(pk=standing_order.pk).update(payment_token="")
    for run in Run.objects.filter(last_error__regex=DIGITS).only("pk", "last_error").iterator():
        redacted = card_numbers_redact(run.last_error)
        if redacted != run.last_error:
            Run.objects.filter(pk=run.pk).update(last_error=redacted)


class Migration(migrations.Migration):
    dependencies = [("recurring", "0004_standing_order_payment_method_run_action_payment")]

    operations = [migrations.RunPython(clear_card_numbers, migrations.RunPython.noop)]
