"""Where the Zendesk account is and how to reach it, from ``SERVICEFLOW_ZENDESK_*`` variables.

Settings come from the environment (and ``.env``) rather than from policy files because they
hold secrets: the API or OAuth token and the webhook signing secret. ``SecretStr`` keeps those
out of ``repr`` and logs.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from .auth import ApiToken, Credentials, OAuthToken
from .errors import ZendeskError


class ZendeskNotConfigured(ZendeskError):
    """A setting the call needs is missing; the message names the variable to set."""


class ZendeskSettings(BaseSettings):
    """One Zendesk account: its address, credentials and webhook signing secret.

    Attributes:
        subdomain: ``acme`` for ``https://acme.zendesk.com``; also the account name in case ids.
        base_url: Overrides ``https://{subdomain}.zendesk.com`` (a proxy, the fake).
        email: The agent the API token acts as (with ``api_token``).
        api_token: An API token (Admin Center > Apps and integrations > Zendesk API).
        oauth_token: An OAuth access token, used instead of email + API token.
        webhook_secret: The signing secret of the webhook(s) pointed at serviceflow.
        webhook_tolerance_seconds: How far a webhook's signature timestamp may be from now.
    """

    model_config = SettingsConfigDict(
        env_prefix="SERVICEFLOW_ZENDESK_", env_file=".env", extra="ignore", frozen=True
    )

    subdomain: str | None = None
    base_url: str | None = None
    email: str | None = None
    api_token: SecretStr | None = None
    oauth_token: SecretStr | None = None
    webhook_secret: SecretStr | None = None
    webhook_tolerance_seconds: float = Field(default=300, gt=0)

    @property
    def url(self) -> str:
        """The API root: ``base_url`` when set, else ``https://{subdomain}.zendesk.com``."""
        if self.base_url:
            return self.base_url.rstrip("/")
        if self.subdomain:
            return f"https://{self.subdomain}.zendesk.com"
        raise ZendeskNotConfigured(
            "set SERVICEFLOW_ZENDESK_SUBDOMAIN (or SERVICEFLOW_ZENDESK_BASE_URL) to reach Zendesk"
        )

    @property
    def account(self) -> str:
        """The account name used in tickets and case ids: the subdomain, else the base_url host."""
        if self.subdomain:
            return self.subdomain
        if self.base_url:
            return urlsplit(self.base_url).hostname or self.base_url
        raise ZendeskNotConfigured("set SERVICEFLOW_ZENDESK_SUBDOMAIN to name the Zendesk account")

    @property
    def tolerance(self) -> timedelta:
        """The webhook replay window."""
        return timedelta(seconds=self.webhook_tolerance_seconds)

    def credentials(self) -> Credentials:
        """OAuth when an OAuth token is set, else email + API token.

        Raises:
            ZendeskNotConfigured: neither is complete.
        """
        if self.oauth_token is not None:
            return OAuthToken(self.oauth_token.get_secret_value())
        if self.email and self.api_token is not None:
            return ApiToken(self.email, self.api_token.get_secret_value())
        raise ZendeskNotConfigured(
            "set SERVICEFLOW_ZENDESK_EMAIL and SERVICEFLOW_ZENDESK_API_TOKEN, "
            "or SERVICEFLOW_ZENDESK_OAUTH_TOKEN"
        )

    def cache_key(self) -> tuple[str | None, ...]:
        """What identifies one client: address and credentials (secrets included, never shown)."""
        return (
            self.base_url,
            self.subdomain,
            self.email,
            self.api_token.get_secret_value() if self.api_token else None,
            self.oauth_token.get_secret_value() if self.oauth_token else None,
        )
