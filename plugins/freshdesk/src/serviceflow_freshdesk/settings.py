"""Where the Freshdesk account is and how to reach it, from ``SERVICEFLOW_FRESHDESK_*`` variables.

Settings come from the environment (and ``.env``) because they hold secrets: the API key and the
shared secret the automation rules' webhooks carry. ``SecretStr`` keeps both out of ``repr`` and
logs.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from serviceflow.model import TicketStatus

from .errors import FreshdeskError

DEFAULT_WEBHOOK_HEADER = "x-serviceflow-secret"


class FreshdeskNotConfigured(FreshdeskError):
    """A setting the call needs is missing; the message names the variable to set."""


class FreshdeskSettings(BaseSettings):
    """One Freshdesk account.

    Attributes:
        domain: ``acme`` for ``https://acme.freshdesk.com``; also the account name in case ids.
        base_url: Overrides ``https://{domain}.freshdesk.com`` (a proxy, the fake).
        api_key: The API key of the agent serviceflow acts as (Profile settings > View API key).
        webhook_secret: The shared secret every "Trigger webhook" action sends, in the custom
            header or as the Basic-auth password (see the README).
        webhook_header: The custom header that carries the secret.
        custom_statuses: Custom status ids or names (6 and up) -> a serviceflow status, e.g.
            ``{"6": "pending", "Waiting on Third Party": "on_hold"}``; overrides the name rules.
        on_hold_status: The custom status id serviceflow's ``on_hold`` is written as. Freshdesk
            has no on-hold status of its own; without this setting ``set_status on_hold`` is refused.
        change_field: The API name of the custom text field serviceflow stamps its own field
            changes in (``cf_serviceflow_change`` in the README), so their webhooks are known as
            serviceflow's; unset, they read as an agent's (see :mod:`.own_writes`).
    """

    model_config = SettingsConfigDict(
        env_prefix="SERVICEFLOW_FRESHDESK_", env_file=".env", extra="ignore", frozen=True
    )

    domain: str | None = None
    base_url: str | None = None
    api_key: SecretStr | None = None
    webhook_secret: SecretStr | None = None
    webhook_header: str = Field(default=DEFAULT_WEBHOOK_HEADER, min_length=1)
    custom_statuses: dict[str, TicketStatus] = Field(default_factory=dict)
    on_hold_status: int | None = Field(default=None, ge=6)
    change_field: str | None = Field(default=None, pattern=r"^cf_[a-z0-9_]{1,60}$")

    @property
    def url(self) -> str:
        """The API root: ``base_url`` when set, else ``https://{domain}.freshdesk.com``."""
        if self.base_url and self.base_url.strip():
            return self.base_url.strip().rstrip("/")
        if self.domain and self.domain.strip():
            return f"https://{self.domain.strip()}.freshdesk.com"
        raise FreshdeskNotConfigured(
            "set SERVICEFLOW_FRESHDESK_DOMAIN (or SERVICEFLOW_FRESHDESK_BASE_URL) to reach Freshdesk"
        )

    @property
    def account(self) -> str:
        """The account name in tickets and case ids: the domain, else the host of ``base_url``.

        Only ever from these settings: a delivery signs nothing, so nothing it carries may name
        the account (issue 15), and there is no default either.

        Raises:
            FreshdeskNotConfigured: neither names one.
        """
        domain = (self.domain or "").strip()
        if domain:
            return domain
        host = urlsplit(self.base_url.strip()).hostname if self.base_url else None
        if host:
            return host
        raise FreshdeskNotConfigured(
            "set SERVICEFLOW_FRESHDESK_DOMAIN (or a SERVICEFLOW_FRESHDESK_BASE_URL with a host) "
            "to name the Freshdesk account"
        )

    def account_or_none(self) -> str | None:
        """:attr:`account`, or None when the settings name none."""
        try:
            return self.account
        except FreshdeskNotConfigured:
            return None

    def secret(self) -> str | None:
        """The webhook secret, or None when unset, empty or only whitespace (not configured:
        every delivery is refused)."""
        if self.webhook_secret is None:
            return None
        value = self.webhook_secret.get_secret_value()
        return value if value.strip() else None

    def key(self) -> str:
        """The API key.

        Raises:
            FreshdeskNotConfigured: none is set (or only whitespace).
        """
        if self.api_key is None or not self.api_key.get_secret_value().strip():
            raise FreshdeskNotConfigured("set SERVICEFLOW_FRESHDESK_API_KEY (Profile settings > API key)")
        return self.api_key.get_secret_value()

    def cache_key(self) -> tuple[str | None, ...]:
        """What identifies one client: address and key (the secret is part of it, never shown)."""
        return (self.base_url, self.domain, self.api_key.get_secret_value() if self.api_key else None)
