"""Settings from the environment (``SERVICEFLOW_*``), for the worker and the CLI.

Every setting is declared once, here: its type, default and description. The CLI builds its
options from these fields (``serviceflow.cli.options``), so ``--help`` names each variable, and
``serviceflow settings`` prints the effective values and where each came from. To add a setting,
add a field with a ``description``; mark a credential ``SecretStr`` (or ``repr=False``, or
``SECRET`` in ``json_schema_extra``, when its type must stay a plain one) so it is never printed
and gets no command-line option.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

from serviceflow.durable.intervals import IntervalSeconds, LookbackSeconds, SettleSeconds

#: ``json_schema_extra`` of a field whose value is a credential although its type is a string.
SECRET: JsonDict = {"secret": True}


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class Mode(StrEnum):
    """Whether actions reach the helpdesk and the channels (live), or are only recorded as what
    they would have been (shadow: every case is decided and timed as usual)."""

    LIVE = "live"
    SHADOW = "shadow"


class Settings(BaseSettings):
    """Where Temporal is and how to reach it, and which policies to run.

    Production points these at a Temporal cluster or Temporal Cloud; ``serviceflow dev`` at the
    local dev server it starts.
    """

    model_config = SettingsConfigDict(env_prefix="SERVICEFLOW_", env_file=".env", extra="ignore")

    # -- Temporal ---------------------------------------------------------------------------
    temporal_address: str = Field(
        default="localhost:7233",
        description="The Temporal frontend, host:port (Temporal Cloud: ns.acct.tmprl.cloud:7233).",
    )
    temporal_namespace: str = Field(default="default", description="The Temporal namespace.")
    task_queue: str = Field(default="serviceflow", description="The task queue cases run on.")
    temporal_tls_cert: Path | None = Field(default=None, description="Client certificate file (mTLS).")
    temporal_tls_key: Path | None = Field(default=None, description="Client private key file (mTLS).")
    temporal_tls_ca: Path | None = Field(default=None, description="Server CA file, if not a public CA.")
    temporal_api_key: SecretStr | None = Field(
        default=None, description="A Temporal Cloud API key (TLS is then on)."
    )
    mode: Mode = Field(
        default=Mode.LIVE,
        description="live: actions reach the helpdesk and the channels; shadow: each is decided, "
        "timed and recorded as what it would have done, and nothing is sent (docs/adoption.md).",
    )
    # -- policies and people ----------------------------------------------------------------
    policies: list[Path] = Field(
        default_factory=lambda: [Path("policies"), Path("workflows")],
        description='The policy folders or files, as a JSON list: ["policies", "workflows"].',
    )
    roster: Path | None = Field(
        default=None,
        description="A YAML roster of agents and groups; with roster_from, what the helpdesk lacks "
        "(leads, skills, out of office).",
    )
    roster_from: str | None = Field(
        default=None, description="Read agents and groups from this helpdesk: 'vendor:account'."
    )
    roster_refresh: IntervalSeconds = Field(
        default=300.0, description="Seconds between roster reads: 1 to 86400."
    )
    notify_url: str | None = Field(
        default=None,
        repr=False,  # a webhook URL is a secret: anyone who has it can post
        description="Incoming-webhook URL (serviceflow's JSON, with a Slack-compatible text): the "
        "channel 'default', where review cases' notifications go.",
        json_schema_extra=SECRET,  # an incoming-webhook URL is itself the credential
    )
    channels: dict[str, Any] = Field(
        default_factory=dict,
        repr=False,  # holds webhook URLs, keys and passwords
        json_schema_extra=SECRET,
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
        description='Helpdesk accounts whose quarantine to watch, as a JSON list: ["zendesk:acme"].',
    )
    quarantine_interval: IntervalSeconds = Field(
        default=300.0, description="Seconds between two polls of a quarantine: 1 to 86400."
    )
    reconcile: list[str] = Field(
        default_factory=list,
        description="Helpdesk accounts to reconcile (repair lost webhooks), as a JSON list: "
        '["zendesk:acme"] (docs/adoption.md).',
    )
    reconcile_interval: IntervalSeconds = Field(
        default=300.0, description="Seconds between two reconcile sweeps of an account: 1 to 86400."
    )
    reconcile_lookback: LookbackSeconds = Field(
        default=86_400.0,
        description="Seconds back the first reconcile sweep of an account looks: 1 to 2592000 (30 days).",
    )
    reconcile_settle: SettleSeconds = Field(
        default=60.0,
        description="Seconds a ticket's change is left for its webhook before a sweep repairs it: 0 to 3600.",
    )
    workflow_cache: int = Field(
        default=1_000, ge=0, le=1_000_000,
        description="Open cases a worker keeps in memory between their inputs (the SDK's sticky cache, "
        "about 100-140 KiB each); a case beyond it is replayed from its history when it wakes "
        "(docs/scaling.md). 0: none kept.",
    )  # fmt: skip
    # -- operations -------------------------------------------------------------------------
    metrics_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="Serve the worker's Prometheus metrics (/metrics) and its /healthz and /readyz "
        "on this port.",
    )
    metrics_host: str = Field(
        default="127.0.0.1",
        description="The interface the worker's metrics and the SDK's metrics listen on "
        "(0.0.0.0: every interface).",
    )
    temporal_metrics_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="Serve the Temporal SDK's own Prometheus metrics (worker and receiver) on this port.",
    )
    log_format: LogFormat = Field(
        default=LogFormat.TEXT, description="Log lines as 'text' or 'json' (one object a line)."
    )
    log_level: str = Field(
        default="INFO",
        pattern="(?i)^(DEBUG|INFO|WARNING|ERROR|CRITICAL)$",
        description="The lowest level logged: DEBUG, INFO, WARNING, ERROR.",
    )
    # -- tracing (serviceflow[otel]; docs/production.md, Observability) -------------------------
    otel_endpoint: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        description="The OTLP/HTTP endpoint traces are sent to (a collector, Jaeger, Tempo: "
        "http://collector:4318; /v1/traces is added); unset, tracing is off.",
    )
    otel_service_name: str = Field(
        default="serviceflow",
        min_length=1,
        max_length=200,
        description="The service name this process's spans carry (serviceflow-worker, "
        "serviceflow-receiver, ...).",
    )
    otel_sample_ratio: float = Field(
        default=1.0,
        ge=0,
        le=1,
        description="The share of webhooks traced, 0 to 1; the worker follows the receiver's choice.",
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

    # -- how Temporal is reached: checked here, so a bad value names its variable (exit 2) where
    # the SDK's connect raised FileNotFoundError, "invalid target URL" or a TypeError (attack11 F7).

    @field_validator("temporal_address")
    @classmethod
    def _address(cls, value: str) -> str:
        # The SDK connects to f"http://{address}" (or https://), parsed as a URL by its Rust core
        # (temporalio/service.py, ConnectConfig._to_bridge_config); urlsplit reads the same shape
        # (UNVERIFIED that it refuses exactly what the Rust url crate refuses).
        _utf8(value, "a host:port")
        try:
            parts = urlsplit(f"http://{value}")
            port = parts.port
        except ValueError as exc:
            raise _setting(f"'{value}' is not host:port ({exc}); e.g. localhost:7233") from None
        if not parts.hostname or parts.path or parts.query or parts.fragment or port == 0:
            raise _setting(f"'{value}' is not host:port; e.g. localhost:7233 or ns.acct.tmprl.cloud:7233")
        if port is None:  # the SDK would dial port 80 (http://host) and fail later as unreachable
            host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname  # IPv6
            example = f"{host}:7233"
            raise _setting(f"'{value}' has no port; Temporal's frontend listens on 7233: e.g. {example}")
        return value

    @field_validator("temporal_tls_cert", "temporal_tls_key", "temporal_tls_ca")
    @classmethod
    def _pem_file(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        shown = str(value).encode("utf-8", "backslashreplace").decode()
        if str(value) in ("", ".") or value.is_dir():
            raise _setting(f"'{shown}' is a folder, not a file; set it to a PEM file's path, or unset it")
        if not value.is_file():
            raise _setting(f"no such file '{shown}'; set it to a PEM file's path, or unset it")
        return value

    @field_validator("temporal_api_key")
    @classmethod
    def _api_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None  # SERVICEFLOW_TEMPORAL_API_KEY= (empty, as .env files write it): not set
        _utf8(value.get_secret_value(), "the key as Temporal Cloud shows it", secret=True)
        return value


def _setting(message: str) -> PydanticCustomError:
    return PydanticCustomError("setting", message)


def _utf8(value: str, expected: str, *, secret: bool = False) -> None:
    """Refuse a value the environment held as bytes that are not UTF-8 (Python keeps them as lone
    surrogates, which the SDK cannot pass on), and one that is empty or has spaces or controls."""
    try:
        value.encode()
    except UnicodeEncodeError:
        raise _setting(f"not UTF-8 text; set it to {expected}") from None
    if not value or any(c.isspace() or not c.isprintable() for c in value):
        what = "empty or has spaces or control characters" if secret else f"'{value}' is empty or has spaces"
        raise _setting(f"{what}; set it to {expected}")
