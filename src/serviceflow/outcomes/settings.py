"""Where outcomes are kept (``SERVICEFLOW_OUTCOMES_*``), and whether this deployment runs in shadow.

The store outlives Temporal's retention: an SQLite file by default, PostgreSQL by URL in
production. ``serviceflow settings`` lists these with core's (every ``SERVICEFLOW_`` settings
class of serviceflow's own package is listed there).
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from serviceflow.durable.settings import SECRET, Settings

#: The default store: a file beside the other files serviceflow keeps in the working directory.
DEFAULT_STORE = Path(".serviceflow") / "outcomes.sqlite3"
MODE_ENV = "SERVICEFLOW_MODE"


class OutcomeSettings(BaseSettings):
    """The outcome store."""

    model_config = SettingsConfigDict(env_prefix="SERVICEFLOW_", env_file=".env", extra="ignore")

    outcomes_url: str = Field(
        default=str(DEFAULT_STORE),
        min_length=1,
        max_length=2_000,
        repr=False,  # a PostgreSQL URL may hold a password
        json_schema_extra=SECRET,
        description="Where outcomes are kept for reports: an SQLite file (a path, or sqlite:///PATH), "
        "or PostgreSQL: postgresql://user:password@host:5432/db.",
    )
    outcomes_attempts: int = Field(
        default=3,
        ge=1,
        le=20,
        description="Tries to write a decision's outcomes before the case goes on without them "
        "(each failure is counted in serviceflow_outcomes_failed_total).",
    )

    outcomes_report_max_rows: int = Field(
        default=1_000_000,
        ge=1,
        le=50_000_000,
        description="Most outcome rows one report reads (about 2 KB of memory each); narrow a bigger "
        "one with --since, --team.",
    )


def shadow_mode() -> bool:
    """Whether this process runs in shadow mode: core's ``mode`` setting when it has one, else
    ``SERVICEFLOW_MODE`` as set (``shadow`` or ``live``)."""
    if "mode" in Settings.model_fields:
        return str(getattr(Settings(), "mode", "live")).lower().endswith("shadow")
    return os.environ.get(MODE_ENV, "live").strip().lower() == "shadow"
