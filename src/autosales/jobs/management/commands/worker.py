import signal
import subprocess
import sys
import threading

from django.core.management.base import BaseCommand, CommandError

from autosales.core.errors import DomainError
from autosales.jobs.registry import registered_jobs
from autosales.jobs.runner import run_loop, worker_process_tune
from autosales.jobs.services import job_execute, jobs_run_due
from autosales.jobs.wakeups import wakeups


class Command(BaseCommand):
    help = "Run the scheduled jobs (outbox delivery, standing orders, reminders, ...) until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run the jobs that are due now, then exit")
        parser.add_argument("--job", metavar="NAME", help="run this one job now, whether due or not, then exit")
        parser.add_argument("--list", action="store_true", help="list the registered jobs and their schedules")
        parser.add_argument("--poll", type=float, default=None, help="seconds between looks at the schedule")
        parser.add_argument(
            "--processes",
            type=int,
            default=1,
            metavar="N",
            help="run N worker processes (each its own job loop and database connection); default 1",
        )

    def handle(self, *args, once=False, job=None, list=False, poll=None, processes=1, **options):
        if poll is not None and poll <= 0:
            raise CommandError("--poll: must be a positive number of seconds")
        if processes < 1:
            raise CommandError("--processes: must be at least 1")
        if processes > 1 and (once or job or list):
            raise CommandError("--processes: only for a worker that runs until stopped")
        if list:
            for name, spec in registered_jobs().items():
                self.stdout.write(f"{name}\t{spec.schedule_label}")
            return
        if job:
            try:
                outcome = job_execute(name=job, only_if_due=False)
            except DomainError as exc:
                raise CommandError(f"--job: {exc.message}") from exc
            self._report([outcome] if outcome.ran else [])
            if not outcome.ran:
                self.stdout.write(f"{job}: not run ({outcome.skipped_because})")
            return
        if once:
            self._report(jobs_run_due())
            return
        stop = threading.Event()

        def on_signal(signum, frame):
            stop.set()
            wakeups.interrupt()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        if processes > 1:
            self._supervise(processes=processes, poll=poll, stop=stop)
            return
        self.stdout.write(f"Worker running {len(registered_jobs())} jobs; stop with Ctrl-C.")
        self.stdout.flush()
        worker_process_tune()
        run_loop(stop=stop, poll_seconds=poll)
        self.stdout.write("Worker stopped.")

    def _supervise(self, *, processes: int, poll: float | None, stop: threading.Event) -> None:
        """Runs `processes` single worker processes until stopped; one that ends on its own is started again."""
        from django.db import connection

        connection.close()  # the children have their own; this process only watches them
        command = [sys.executable, "-m", "autosales", "worker", *(["--poll", str(poll)] if poll else [])]
        children: list[subprocess.Popen | None] = [None] * processes
        self.stdout.write(f"Worker running {len(registered_jobs())} jobs in {processes} processes; stop with Ctrl-C.")
        self.stdout.flush()
        try:
            while not stop.is_set():
                for n, child in enumerate(children):
                    if child is not None and child.poll() is None:
                        continue
                    if child is not None:
                        self.stderr.write(f"worker process {child.pid} ended ({child.returncode}); starting another")
                    children[n] = subprocess.Popen(command, stdout=subprocess.DEVNULL)
                stop.wait(1.0)
        finally:
            running = [child for child in children if child is not None and child.poll() is None]
            for child in running:
                child.send_signal(signal.SIGTERM)  # each finishes the item in hand, then stops
            for child in running:
                try:
                    child.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    child.kill()
        self.stdout.write("Worker stopped.")

    def _report(self, outcomes):
        for outcome in outcomes:
            status = "failed" if outcome.error else "ok"
            self.stdout.write(f"{outcome.name}: {status}, {outcome.items} items, {outcome.failures} failures")
            if outcome.error:
                self.stderr.write(outcome.error.splitlines()[0])
