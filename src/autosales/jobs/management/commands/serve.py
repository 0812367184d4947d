import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from waitress.proxy_headers import proxy_headers_middleware
from waitress.server import create_server

from autosales.jobs.runner import start_background_runner
from autosales.wsgi import application

log = logging.getLogger(__name__)

# What a TLS proxy tells the app: the client's scheme (http or https) and address.
PROXY_HEADERS = {"x-forwarded-proto", "x-forwarded-for"}


def behind_proxies(app, *, proxies: list[str]):
    """The app, believing X-Forwarded-Proto/-For only from the peers in `proxies`; from anyone else they are
    removed before the app sees them (waitress itself trusts at most one address)."""
    trusted = proxy_headers_middleware(app, trusted_proxy="*", trusted_proxy_headers=PROXY_HEADERS)
    untrusted = proxy_headers_middleware(app)
    allowed = set(proxies)

    def dispatch(environ, start_response):
        return (trusted if environ["REMOTE_ADDR"] in allowed else untrusted)(environ, start_response)

    return dispatch


def unapplied_migrations(database: str = DEFAULT_DB_ALIAS) -> int:
    """How many of the code's migrations the database has not had yet (all of them on an empty database)."""
    executor = MigrationExecutor(connections[database])
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


class Command(BaseCommand):
    help = "Serve the store, back office and API with waitress, plus the in-process job runner."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8, help="request threads (default 8)")
        parser.add_argument(
            "--no-jobs", action="store_true", help="do not run jobs in this process (e.g. a worker runs them)"
        )

    def handle(self, *args, host="127.0.0.1", port=8000, threads=8, no_jobs=False, **options):
        if not 0 <= port <= 65535:
            raise CommandError(f"--port: {port} is not a TCP port (0-65535)")
        if threads < 1:
            raise CommandError("--threads: must be at least 1")
        # Serving a database without the tables would answer every page with a 500 and log a traceback at each
        # job poll: say what to do instead, once.
        missing = unapplied_migrations()
        if missing:
            raise CommandError(
                f"The database is not set up ({missing} migrations not applied): run `autosales migrate` first."
            )
        try:
            server = create_server(
                behind_proxies(application, proxies=settings.TRUSTED_PROXIES),
                host=host,
                port=port,
                threads=threads,
                ident="autosales",
                clear_untrusted_proxy_headers=False,  # behind_proxies does it
            )
        except OSError as exc:
            raise CommandError(f"--port: cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
        runner = None
        if no_jobs:
            jobs_note = "jobs: off (--no-jobs)"
        elif settings.REDIS_URL:
            jobs_note = "jobs: run by Celery workers (REDIS_URL is set)"
        else:
            runner = start_background_runner()
            jobs_note = "jobs: running in this process"
        actual_port = server.effective_port
        self.stdout.write(f"Serving on http://{host}:{actual_port}/ ({jobs_note}); stop with Ctrl-C.")
        self.stdout.flush()

        def on_term(signum, frame):
            raise KeyboardInterrupt

        in_main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, on_term) if in_main_thread else None
        try:
            server.run()
        except KeyboardInterrupt:
            pass
        finally:
            if in_main_thread:
                signal.signal(signal.SIGTERM, previous)
            server.close()
            if runner is not None:
                runner.stop()
            self.stdout.write("Stopped.")
