"""The notifications app's jobs (imported by the job registry at start-up)."""

from autosales.notifications import delivery  # noqa: F401  (registers "outbox.deliver")
