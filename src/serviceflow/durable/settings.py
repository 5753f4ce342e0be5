"""Settings from the environment (``SERVICEFLOW_*``), for the worker and the CLI."""

from __future__ import annotations

from pathlib import Path

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
    metrics_host: str = Field(
        default="127.0.0.1",
        description="The interface the worker's metrics listen on (0.0.0.0: every interface).",
    )
    notify_url: str | None = Field(
        default=None,
        description="Incoming-webhook URL (Slack-compatible JSON) for review-case notifications.",
    )
    quarantine_watch: list[str] = Field(
        default_factory=list,
        description='Helpdesk accounts whose quarantine to watch, as JSON: ["zendesk:acme"].',
    )
    quarantine_interval: float = Field(
        default=300.0, gt=0, description="Seconds between two polls of a quarantine."
    )

    # -- the webhook receiver's limits (docs/security.md) -------------------------------------
    receiver_max_body_bytes: int = Field(
        default=1024 * 1024, gt=0, le=16 * 1024 * 1024,
        description="Largest delivery body taken; larger ones get 413.",
    )  # fmt: skip
    receiver_body_timeout: float = Field(
        default=10.0, gt=0, le=300,
        description="Seconds a delivery's whole body may take to arrive; slower ones get 408.",
    )  # fmt: skip
    receiver_header_timeout: float = Field(
        default=10.0, gt=0, le=300,
        description="Seconds a connection may take to send a request's headers before it is closed.",
    )  # fmt: skip
    receiver_max_connections: int = Field(
        default=256, gt=0, le=100_000,
        description="Open connections and requests the server takes at once; more get 503.",
    )  # fmt: skip
    receiver_max_in_flight: int = Field(
        default=64, gt=0, le=10_000,
        description="Deliveries verified, parsed and signalled at once; more get 503 with Retry-After.",
    )  # fmt: skip
    receiver_clock_skew: float = Field(
        default=86_400.0, ge=0, le=30 * 86_400,
        description="Seconds a delivery's times may lie ahead of the receiver's clock.",
    )  # fmt: skip
