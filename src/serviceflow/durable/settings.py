"""Settings from the environment (``SERVICEFLOW_*``), for the worker and the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where Temporal is and how to reach it, and which policies to run.

    Production points these at a Temporal cluster or Temporal Cloud; ``serviceflow dev`` at the
    local dev server it starts.
    """

    model_config = SettingsConfigDict(env_prefix="SERVICEFLOW_", env_file=".env", extra="ignore")

    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    task_queue: str = "serviceflow"
    temporal_tls_cert: Path | None = Field(default=None, description="Client certificate (mTLS).")
    temporal_tls_key: Path | None = Field(default=None, description="Client private key (mTLS).")
    temporal_tls_ca: Path | None = Field(default=None, description="Server CA, if not public.")
    temporal_api_key: str | None = Field(default=None, description="Temporal Cloud API key.")
    policies: list[Path] = Field(default_factory=lambda: [Path("policies"), Path("workflows")])
    roster: Path | None = Field(
        default=None,
        description="A YAML roster of agents and groups; with roster_from, what the helpdesk lacks "
        "(leads, skills, out of office).",
    )
    roster_from: str | None = Field(
        default=None, description="Read agents and groups from this helpdesk: 'vendor:account'."
    )
    roster_refresh: float = Field(default=300.0, gt=0, description="Seconds between roster reads.")
    metrics_port: int | None = Field(
        default=None, description="Serve the worker's Prometheus metrics on this port."
    )
    notify_url: str | None = Field(
        default=None,
        repr=False,  # a webhook URL is a secret: anyone who has it can post
        description="Incoming-webhook URL (serviceflow's JSON, with a Slack-compatible text): the "
        "channel 'default', where review cases' notifications go.",
    )
    channels: dict[str, Any] = Field(
        default_factory=dict,
        repr=False,  # holds webhook URLs, keys and passwords
        description='Notification channels by name, as JSON: {"slack:leads": {"url": "..."}} '
        "(see docs/notifications.md); validated when the worker starts.",
    )
    review_via: list[str] = Field(
        default_factory=lambda: ["default"],
        description="The channels review cases' warnings and escalations go to (they have no "
        "ticket for the helpdesk to notify on); every notification is also logged.",
    )
    quarantine_watch: list[str] = Field(
        default_factory=list,
        description='Helpdesk accounts whose quarantine to watch, as JSON: ["zendesk:acme"].',
    )
    quarantine_interval: float = Field(
        default=300.0, gt=0, description="Seconds between two polls of a quarantine."
    )
