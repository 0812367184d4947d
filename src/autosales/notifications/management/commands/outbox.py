from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from autosales.core import clock
from autosales.core.errors import DomainError
from autosales.notifications.backends import transport_config
from autosales.notifications.delivery import outbox_deliver_pass
from autosales.notifications.selectors import outbox_counts
from autosales.notifications.services import email_queue, emails_resend_failed, recipients_check


class Command(BaseCommand):
    help = "The email outbox: queue a test email, show counts, deliver now, re-send failed emails."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        send_test = sub.add_parser("send-test", help="queue a test email to ADDRESS through the outbox")
        send_test.add_argument("address")
        send_test.add_argument("--deliver", action="store_true", help="also run one delivery pass now")
        sub.add_parser("status", help="count pending, sending, sent and failed emails")
        sub.add_parser("deliver", help="send the emails that are due now (one pass)")
        retry = sub.add_parser("retry", help="queue failed emails again")
        retry.add_argument("--failed", action="store_true", required=True, help="every failed email")

    def handle(self, *args, action, **options):
        getattr(self, "handle_" + action.replace("-", "_"))(**options)

    def _transport(self) -> str:
        try:
            return transport_config(settings.EMAIL_URL).describe()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc

    def handle_send_test(self, *, address, deliver=False, **options):
        transport = self._transport()
        try:
            with transaction.atomic():
                # Checked here: the outbox accepts any address and finds a bad one only when delivering.
                recipients_check(address, field="to")
                email = email_queue(
                    to=address,
                    template="notifications/test",
                    context={
                        # In the shop's zone, the zone of every command.
                        "queued_at": timezone.localtime(clock.now()).strftime("%Y-%m-%d %H:%M %Z"),
                        "transport": transport,
                    },
                )
        except DomainError as exc:
            raise CommandError(f"ADDRESS: {exc.message}") from exc
        self.stdout.write(f"Queued test email <{email.message_id}> to {address} (via {transport}).")
        if deliver:
            self.handle_deliver()
        else:
            self.stdout.write("A running worker sends it within seconds; or run `autosales outbox deliver`.")

    def handle_status(self, **options):
        counts = outbox_counts()
        self.stdout.write(f"transport: {self._transport()}")
        for status, count in counts.items():
            self.stdout.write(f"{status:<8} {count}")

    def handle_deliver(self, **options):
        result = outbox_deliver_pass()
        self.stdout.write(f"sent {result.items}, not sent {result.failures}")
        if result.error:
            self.stderr.write(f"last error: {result.error}")

    def handle_retry(self, *, failed=False, **options):
        count = emails_resend_failed()
        self.stdout.write(f"queued {count} failed email{'s' if count != 1 else ''} again")
