"""`autosales demo`: migrate, load the demo data, print where to go and who to be, then serve."""

import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from autosales.demo.data import DEMO_PASSWORD, DemoSummary, demo_load


def banner(*, summary: DemoSummary, base_url: str, shop_name: str) -> str:
    """The text printed at start: the URLs and the sign-ins table."""
    rows = [(s.username, s.role, s.organization) for s in summary.sign_ins]
    width_user = max(len("username"), *(len(r[0]) for r in rows))
    width_role = max(len("who"), *(len(r[1]) for r in rows))
    lines = [
        "",
        f"  {shop_name} — autosales demo",
        "",
        f"  Store        {base_url}/",
        f"  Back office  {base_url}/backoffice/",
        f"  Admin        {base_url}/admin/",
        f"  API docs     {base_url}/api/v1/docs",
        "",
        f'  Sign in with any of these users; the password is "{DEMO_PASSWORD}" for all of them:',
        "",
        f"    {'username'.ljust(width_user)}  {'who'.ljust(width_role)}  customer",
        f"    {'-' * width_user}  {'-' * width_role}  {'-' * 8}",
    ]
    lines += [f"    {u.ljust(width_user)}  {r.ljust(width_role)}  {o}".rstrip() for u, r, o in rows]
    lines += [
        "",
        f"  Catalog: {summary.products} products, {summary.variants} variants in {summary.categories} categories, "
        f"{summary.warehouses} warehouses; {summary.organizations} customer accounts.",
        "",
    ]
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Set up the demo store (migrate, load demo data) and serve it with the job runner."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="port to serve on (default 8000)")
        parser.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
        parser.add_argument("--no-serve", action="store_true", help="set up and print the sign-ins, do not serve")

    def handle(self, *args, port: int, host: str, no_serve: bool, **options):
        if not 0 < port < 65536:
            raise CommandError(f"--port: {port} is not a port number (1-65535)", returncode=2)
        self.stdout.write("Preparing the database…")
        call_command("migrate", interactive=False, verbosity=0)
        summary = demo_load()
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        if ":" in shown_host:
            shown_host = f"[{shown_host}]"
        base_url = f"http://{shown_host}:{port}"
        # Links in the demo's emails should point at the store that is actually running.
        if "SHOP_BASE_URL" not in os.environ:
            settings.SHOP["base_url"] = base_url
        self.stdout.write(banner(summary=summary, base_url=base_url, shop_name=settings.SHOP["name"]))
        if no_serve:
            return
        call_command("serve", port=port, host=host)
