"""The documented production deployment, on this machine, for the benchmarks.

A benchmark sets up its data in its own process, then measures through the same processes a shop runs
(docs/deployment.md): gunicorn web workers (`--workers W --threads T`) in a separate process group, and the
load from another process (`bench/load.py`), so the server, the load and the database each have their own
processes, as in production. Beside each figure it measures a reference in the same run:

- `pgbench` TPC-B at the same number of clients (PostgreSQL only): what the database itself does here;
- a trivial view (`/healthz`, no database) through the same gunicorn: what HTTP and Django cost alone.

Only loopback addresses are used, every load is bounded in requests and in time, and every process this
module starts is stopped when the benchmark ends.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LEVELS = (1, 4, 16, 32)
# The web server as docs/deployment.md sizes it: one gunicorn worker process per core, four threads each
# (BENCH_WEB_WORKERS / BENCH_WEB_THREADS measure another size).
WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS") or os.cpu_count() or 1)
WEB_THREADS = int(os.environ.get("BENCH_WEB_THREADS") or 4)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- The database ---------------------------------------------------------------------------------------


@dataclass
class Scratch:
    """A scratch database for one benchmark run, and the environment every process of the run shares."""

    env: dict[str, str]
    url: str | None  # postgres://... or None for SQLite
    var_dir: Path
    redis_url: str | None = None  # the cache and broker of the run, or None (the cache in files)
    pgbench_ready: bool = False

    @property
    def vendor(self) -> str:
        return "postgresql" if self.url else "sqlite"

    @property
    def described(self) -> str:
        """The run's set-up for the heading of a benchmark's output."""
        return f"database: {self.vendor}; cache: {'Redis' if self.redis_url else 'files'}"


# The Redis database the web benchmarks use, emptied before and after each run (never the shop's own).
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def _redis_reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def _redis_flush(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


@contextmanager
def scratch_database(name: str, *, redis: bool = False, **settings: str):
    """SQLite under a temporary folder, or (DATABASE_URL=postgres://...) a fresh database next to the given one,
    dropped afterwards. The caller's own process is configured for it (Django is set up here); `settings` are
    environment variables for every process of the run (EMAIL_URL=...).

    `redis`: the web benchmarks run as docs/deployment.md's environment file sets a shop up, with Redis
    (`BENCH_REDIS_URL`, a database of its own, emptied) as the cache the web processes share and the wake-ups'
    broker; where no Redis answers, or for the worker benchmarks (`autosales worker`, the set-up without Redis),
    the cache is in files."""
    var_dir = Path(tempfile.mkdtemp(prefix=f"autosales-bench-{name}-"))
    given = os.environ.get("DATABASE_URL", "")
    url = admin = None
    if given.startswith("postgres"):
        parts = urlsplit(given)
        db = f"autosales_bench_{name}_{uuid.uuid4().hex[:6]}"
        url = urlunsplit(parts._replace(path=f"/{db}"))
        admin = urlunsplit(parts._replace(path="/postgres"))
        _psql(admin, f'CREATE DATABASE "{db}"')
    env = {
        **os.environ,
        "AUTOSALES_VAR_DIR": str(var_dir),
        "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "HTTPS": "0",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "EMAIL_URL": "mailbox://",
        "PAYMENT_PROVIDER": "test",
        "SHOP_BASE_URL": "http://127.0.0.1:8000",
        "DJANGO_SETTINGS_MODULE": "autosales.settings",
        **settings,
    }
    env.pop("REDIS_URL", None)
    redis_url = BENCH_REDIS_URL if redis and _redis_reachable(BENCH_REDIS_URL) else None
    if redis_url:
        env["REDIS_URL"] = redis_url
        _redis_flush(redis_url)
    if url:
        env["DATABASE_URL"] = url
    else:
        env.pop("DATABASE_URL", None)
    os.environ.clear()
    os.environ.update(env)
    sys.path.insert(0, str(ROOT / "src"))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    try:
        yield Scratch(env=env, url=url, var_dir=var_dir, redis_url=redis_url)
    finally:
        if redis_url:
            _redis_flush(redis_url)
        from django.db import connections

        connections.close_all()
        if admin:
            _psql(admin, f'DROP DATABASE IF EXISTS "{urlsplit(url).path.lstrip("/")}" WITH (FORCE)')
        shutil.rmtree(var_dir, ignore_errors=True)


def _psql(url: str, sql: str) -> str:
    done = subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qtAc", sql], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"psql failed: {done.stderr.strip()}")
    return done.stdout


# -- The web processes ---------------------------------------------------------------------------------


@contextmanager
def gunicorn(scratch: Scratch, *, workers: int = WEB_WORKERS, threads: int = WEB_THREADS):
    """gunicorn as docs/deployment.md runs it (a worker per core, 4 threads each), on a free loopback port; yields
    its URL."""
    if not (BIN / "gunicorn").exists():
        raise SystemExit("gunicorn is not installed here: .venv/bin/pip install -e '.[production,test]'")
    port = free_port()
    command = [
        str(BIN / "gunicorn"),
        "autosales.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--timeout",
        "120",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, env=scratch.env, cwd=scratch.var_dir, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(port, process)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_until_up(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    import http.client

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the web server exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the web server did not answer in time")


# -- The load, from its own process -------------------------------------------------------------------------


@dataclass
class LoadResult:
    clients: int
    ok: int
    failed: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    first_error: str

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


def load(*, url: str, requests: list[dict], clients: int, count: int, seconds: float = 60.0) -> LoadResult:
    """Sends `count` requests (cycling through `requests`, `{uuid}` in a string made fresh for each) from
    `clients` connections of a separate process, bounded by `seconds`; latencies are per request."""
    spec = json.dumps({"url": url, "requests": requests, "clients": clients, "count": count, "seconds": seconds})
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load.py")],
        input=spec,
        capture_output=True,
        text=True,
        timeout=seconds + 120,
    )
    if done.returncode:
        raise RuntimeError(f"the load process failed: {done.stderr.strip()[-2000:]}")
    return LoadResult(**json.loads(done.stdout))


def trivial_view(*, url: str, clients: int, count: int) -> LoadResult:
    """The reference for a page or an API call: `/healthz` through the same server at the same concurrency."""
    return load(url=url, requests=[{"method": "GET", "path": "/healthz"}], clients=clients, count=count)


def page_row(*, target: str, clients: int, result: LoadResult, reference: LoadResult) -> dict:
    """One measured page beside the trivial view of the same run, as the page benchmarks print it (JSON lines)."""
    return {
        "target": target,
        "clients": clients,
        "rps": round(result.rate, 1),
        "p50_ms": result.p50_ms,
        "p95_ms": result.p95_ms,
        "failed": result.failed,
        "of_trivial": round(result.rate / reference.rate, 3) if reference.rate else None,
    }


# -- The database's own limit ------------------------------------------------------------------------------


def pgbench_tps(scratch: Scratch, *, clients: int, seconds: int = 10, select_only: bool = False) -> float | None:
    """TPC-B (or select-only) transactions per second that pgbench gets from this PostgreSQL at `clients`
    clients, in the scratch database's own tables (initialised once, scale 1). None on SQLite."""
    if scratch.url is None or shutil.which("pgbench") is None:
        return None
    parts = urlsplit(scratch.url)
    conninfo = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432), "-U", parts.username or "postgres"]
    db = parts.path.lstrip("/")
    env = {**os.environ, "PGPASSWORD": parts.password or ""}
    if not scratch.pgbench_ready:
        subprocess.run(["pgbench", "-i", "-q", "-s", "1", *conninfo, db], env=env, check=True, capture_output=True)
        scratch.pgbench_ready = True
    command = ["pgbench", *conninfo, "-n", "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(seconds)]
    if select_only:
        command.append("-S")
    done = subprocess.run([*command, db], env=env, check=True, capture_output=True, text=True)
    match = re.search(r"tps = ([0-9.]+)", done.stdout)
    return float(match.group(1)) if match else None


def cpu_seconds(pids) -> float:
    """CPU seconds (user + system) used so far by these processes and by their children that have ended (Linux's
    /proc). Give a whole tree (a server's processes with their parent): a process that ends between two readings
    moves its CPU to its parent's count of ended children, so the difference still counts it."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        ticks += sum(int(field) for field in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def processes(*, group: int | None = None, name: str | None = None) -> list[int]:
    """The running processes of process group `group`, or those whose command name is `name`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            in_group = group is not None and os.getpgid(int(entry.name)) == group
            if in_group or (name is not None and (entry / "comm").read_text().strip() == name):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def machine() -> str:
    cores = os.cpu_count()
    memory = ""
    try:
        with open("/proc/meminfo") as meminfo:
            kb = int(meminfo.readline().split()[1])
            memory = f", {kb / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    load1 = os.getloadavg()[0]
    return f"{cores} cores{memory}, load average {load1:.1f} at start"
