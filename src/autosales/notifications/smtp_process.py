"""The SMTP conversation in a process of its own.

A worker thread that delivers emails over SMTP hands each email's wire bytes to a child process
(`SMTPProcess`), which holds the connection to EMAIL_URL's server and sends them in order, one after another,
while the worker claims and renders the next ones. An email is four exchanges with the server (MAIL, RCPT, DATA,
the message); in the worker's own process each answer would wait for the interpreter that the rendering holds,
in a process of its own it is read at once.

The child imports no models and opens no database connection: it is Django's SMTP backend and this module. It
reads frames from its standard input and answers each email with a frame on its standard output (a 4-byte
length, then a pickle; parent and child are the same program). It stops when its input ends, so it never
outlives the worker, and not before: a stop signal is the worker's to act on (it may finish a batch first):
`python -m autosales.notifications.smtp_process`.

Frames to the child, in order:
- ("config", options): the SMTP backend's options (host, port, username, password, use_tls, use_ssl, timeout);
  the connection open, if any, is closed.
- ("pass",): a delivery pass starts: the kept connection may have been dropped by the server since (one unused
  for KEEP_IDLE_SECONDS is closed now), and a server found unreachable in the last pass is tried again.
- ("close",): close the connection (it is opened again for the next email).
- ("send", seq, sender, recipients, data): send one email; answered with (seq, connections opened so far,
  failure or None, whether the server was asked, why the server is unreachable if a fresh connection failed too).
"""

from __future__ import annotations

import collections
import contextlib
import logging
import pickle
import queue
import signal
import smtplib
import struct
import subprocess
import sys
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from typing import BinaryIO

log = logging.getLogger(__name__)

# A connection unused this long is closed when the next pass starts, and opened afresh for its first email.
KEEP_IDLE_SECONDS = 60
# Emails written to the child ahead of its answers: enough that it never waits for this process to hand it the next
# one, few enough that an email given up on while it waits (its lease lost, `dropped`) is rarely sent anyway.
WINDOW = 8

_LENGTH = struct.Struct("!I")


@dataclass(frozen=True)
class Failure:
    temporary: bool
    reason: str
    # The connection is unusable: close it and stop sending this batch over it.
    connection_lost: bool = False


def _smtp_text(code: int, message: bytes | str) -> str:
    text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
    return f"SMTP {code} {text}".strip()


def classify_failure(exc: BaseException) -> Failure:
    """Temporary (retry with backoff) or permanent (give up): 4xx, timeouts and refused connections are temporary."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        reason = "; ".join(f"{rcpt}: {_smtp_text(code, msg)}" for rcpt, (code, msg) in exc.recipients.items())
        return Failure(temporary=any(400 <= code < 500 for code in codes), reason=f"recipient refused: {reason}")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        # A wrong password is the operator's to fix; keep the emails until it is.
        return Failure(temporary=True, reason=f"login refused: {_smtp_text(exc.smtp_code, exc.smtp_error)}")
    if isinstance(exc, smtplib.SMTPResponseException):
        temporary = not 500 <= exc.smtp_code < 600
        return Failure(temporary=temporary, reason=_smtp_text(exc.smtp_code, exc.smtp_error))
    if isinstance(exc, smtplib.SMTPServerDisconnected | OSError):
        return Failure(temporary=True, reason=f"cannot reach the mail server: {exc}", connection_lost=True)
    if isinstance(exc, smtplib.SMTPException):
        return Failure(temporary=True, reason=f"{type(exc).__name__}: {exc}", connection_lost=True)
    return Failure(temporary=True, reason=f"{type(exc).__name__}: {exc}")


class SendFailed(Exception):
    """An email the child could not send (`tried`: the server was asked; else it was known to be unreachable)."""

    def __init__(self, failure: Failure, *, tried: bool = True):
        super().__init__(failure.reason)
        self.failure = failure
        self.tried = tried


def _write(stream: BinaryIO, frame: tuple) -> None:
    data = pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)))
    stream.write(data)


def _read(stream: BinaryIO) -> tuple | None:
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (length,) = _LENGTH.unpack(head)
    data = stream.read(length)
    if len(data) < length:
        return None
    return pickle.loads(data)


# The child's side.


class _Connection:
    """The child's connection to the server: Django's SMTP backend, kept open from one email and pass to the next."""

    def __init__(self):
        self.backend = None
        self.opened = 0  # connections opened so far, to any server
        self.used_at = 0.0  # time.monotonic() of its last use
        # Opened in an earlier pass: the server may have dropped it since (servers close idle connections).
        self.maybe_stale = False
        # Why the server cannot be reached, once a fresh connection failed too during this pass: the rest of the
        # pass's emails are answered at once, to wait for the backoff rather than a timeout each.
        self.unreachable = ""

    def configure(self, options: dict) -> None:
        from django.core.mail.backends.smtp import EmailBackend

        if self.backend is not None:
            self.close()
        self.backend = EmailBackend(fail_silently=False, **options)
        self.unreachable = ""

    def close(self) -> None:
        with contextlib.suppress(Exception):  # a connection that cannot even be closed is gone
            self.backend.close()

    def new_pass(self) -> None:
        if self.backend.connection is not None and time.monotonic() - self.used_at > KEEP_IDLE_SECONDS:
            self.close()
        self.maybe_stale = True
        self.unreachable = ""

    def _open(self) -> bool:
        fresh = bool(self.backend.open())
        self.opened += fresh
        return fresh

    def _transmit(self, sender: str, recipients: list[str], data: bytes) -> None:
        fresh = self._open()
        try:
            self.backend.connection.sendmail(sender, recipients, data)
        except Exception as exc:
            if fresh or not self.maybe_stale or not classify_failure(exc).connection_lost:
                raise
            # The kept connection was dropped while idle (nothing of this message was taken): once more on a new one.
            self.close()
            self._open()
            self.backend.connection.sendmail(sender, recipients, data)
        finally:
            self.used_at = time.monotonic()
        self.maybe_stale = False

    def send(self, sender: str, recipients: list[str], data: bytes) -> tuple[Failure | None, bool]:
        """(why it was not sent or None, whether the server was asked)."""
        if not recipients:
            return None, False
        if self.unreachable:
            return Failure(temporary=True, reason=self.unreachable), False
        try:
            self._transmit(sender, recipients, data)
        except Exception as exc:
            failure = classify_failure(exc)
            if failure.connection_lost:
                # One fresh connection for the next email; if that fails too, the server is down.
                self.close()
                try:
                    self._open()
                except Exception as reopen_exc:
                    self.unreachable = classify_failure(reopen_exc).reason
            return failure, True
        return None, True


def serve(inp: BinaryIO, out: BinaryIO) -> None:
    """The child's loop: frames in, an answer for each email out, until its input ends."""
    from django.conf import settings

    if not settings.configured:
        settings.configure()  # Django's defaults: the backend needs nothing from the project's settings
    connection = _Connection()
    while (frame := _read(inp)) is not None:
        kind = frame[0]
        if kind == "config":
            connection.configure(frame[1])
        elif kind == "pass":
            connection.new_pass()
        elif kind == "close":
            connection.close()
        elif kind == "send":
            _, seq, sender, recipients, data = frame
            failure, tried = connection.send(sender, recipients, data)
            # The failure as plain values: this module is __main__ here, its classes are not the worker's.
            reason = None if failure is None else (failure.temporary, failure.reason, failure.connection_lost)
            _write(out, (seq, connection.opened, reason, tried, connection.unreachable))
            out.flush()
    if connection.backend is not None:
        connection.close()


# The worker's side.

_STOP = object()


class SMTPProcess:
    """A worker thread's SMTP connection, held by a child process that sends the emails handed to `submit` in
    order. A thread of this process writes them to the child (at most `WINDOW` ahead of its answers) and settles
    each one's future: True (sent), False (skipped: its pk was put in `dropped` before its turn), or `SendFailed`.
    """

    def __init__(self, options: dict):
        self.process = subprocess.Popen(
            [sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True
        )
        self.options = options
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._queue.put(("config", options))
        # Why the server cannot be reached, as the child found it during this pass.
        self.unreachable = ""
        self.connections = 0  # connections the child has opened so far
        self._stopped = ""  # why the child is gone
        # Held while an email is queued and while the stopped side fails what is queued: none is left unsettled.
        self._lock = threading.Lock()
        self._seq = 0
        self._pump = threading.Thread(target=self._run, name="autosales-smtp", daemon=True)
        self._pump.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return not self._stopped and self.process.poll() is None

    def configure(self, options: dict) -> None:
        """Send to another server from now on (the connection open is closed)."""
        if options != self.options:
            self.options = options
            self._queue.put(("config", options))

    def new_pass(self) -> None:
        self.unreachable = ""
        self._queue.put(("pass",))

    def close_connection(self) -> None:
        self._queue.put(("close",))

    def submit(self, pk: int, wire, *, dropped: set[int]) -> Future:
        future: Future = Future()
        with self._lock:
            if self._stopped:
                future.set_exception(self._gone())
            else:
                self._queue.put((future, pk, wire, dropped))
        return future

    def stop(self) -> None:
        """Ends the child (its input closes) and this side's thread."""
        self._queue.put(_STOP)
        self._pump.join(timeout=10)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _gone(self) -> SendFailed:
        return SendFailed(Failure(temporary=True, reason=self._stopped, connection_lost=True))

    def _run(self) -> None:
        in_flight: collections.deque[Future] = collections.deque()
        stdin, stdout = self.process.stdin, self.process.stdout
        try:
            while True:
                wrote = False
                while len(in_flight) < WINDOW:
                    try:
                        item = self._queue.get(block=not in_flight and not wrote)
                    except queue.Empty:
                        break
                    if item is _STOP:
                        stdin.close()
                        self._stopped = "the SMTP process was stopped"
                        return
                    if isinstance(item[0], str):
                        _write(stdin, item)
                        wrote = True
                        continue
                    future, pk, wire, dropped = item
                    if pk in dropped:
                        future.set_result(False)
                        continue
                    self._seq += 1
                    _write(stdin, ("send", self._seq, wire.sender, wire.recipients, wire.data))
                    in_flight.append(future)
                    wrote = True
                if wrote:
                    stdin.flush()
                if not in_flight:
                    continue
                answer = _read(stdout)
                if answer is None:
                    raise EOFError
                _, self.connections, reason, tried, unreachable = answer
                if unreachable:
                    self.unreachable = unreachable  # before the email's outcome, so its batch stops at once
                future = in_flight.popleft()
                if reason is None:
                    future.set_result(True)
                else:
                    temporary, text, connection_lost = reason
                    failure = Failure(temporary=temporary, reason=text, connection_lost=connection_lost)
                    future.set_exception(SendFailed(failure, tried=tried))
        except (OSError, EOFError, ValueError) as exc:
            code = self.process.poll()
            self._stopped = f"the SMTP process stopped ({'exit code ' + str(code) if code is not None else exc})"
            log.warning("%s", self._stopped)
        finally:
            with self._lock:
                self._stopped = self._stopped or "the SMTP process stopped"
                gone = self._gone()
                for future in in_flight:
                    future.set_exception(gone)
                while True:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is not _STOP and not isinstance(item[0], str):
                        item[0].set_exception(gone)


if __name__ == "__main__":
    # A stop signal is for the worker (systemd and a terminal send it to the whole group): this process finishes
    # what the worker hands it while it stops, and ends when the worker has (its input ends).
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(BrokenPipeError):
        serve(sys.stdin.buffer, sys.stdout.buffer)
