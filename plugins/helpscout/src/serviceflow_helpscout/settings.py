"""Where the Help Scout account is and how to reach it, from ``SERVICEFLOW_HELPSCOUT_*`` variables.

Settings come from the environment (and ``.env``) because they hold secrets: the OAuth2 app's
secret and the webhook's secret key. ``SecretStr`` keeps both out of ``repr`` and logs.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import NotConfigured

#: Every Mailbox API 2.0 path is under this host (CONTRACTS.md §1.1).
API_ROOT = "https://api.helpscout.net"
#: The webhook secret is "a randomly-generated (by you) string of 40 characters or less"
#: (Create Webhook, CONTRACTS.md §8.2).
MAX_WEBHOOK_SECRET = 40


class HelpScoutSettings(BaseSettings):
    """One Help Scout account, reached through one OAuth2 app (client credentials).

    Attributes:
        company: The account's name in case ids (``acme``); unset: none (deliveries refused).
            Help Scout has no subdomain, so name the account yourself; see :attr:`account`.
        base_url: The API root (``https://api.helpscout.net``; the fake's address in tests).
        app_id: The OAuth2 app's App ID (Your Profile > My apps), the ``client_id``.
        app_secret: The app's App Secret, the ``client_secret``.
        webhook_secret: The webhook's secret key (Manage > Apps > Webhooks), 40 characters or less.
            Every delivery's ``X-HelpScout-Signature`` is checked with it.
        priority_tag_prefix: The tag serviceflow keeps priority in: ``<prefix><level>``.
            Help Scout has no priority (``priority-high``, ``priority-urgent``, ...).
        spam_mailboxes: Inbox ids whose Spam folder the quarantine watches (all when empty).
    """

    model_config = SettingsConfigDict(
        env_prefix="SERVICEFLOW_HELPSCOUT_", env_file=".env", extra="ignore", frozen=True
    )

    company: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
    base_url: str = API_ROOT
    app_id: str | None = None
    app_secret: SecretStr | None = None
    webhook_secret: SecretStr | None = None
    priority_tag_prefix: str = Field(default="priority-", pattern=r"^[a-z0-9][a-z0-9_:-]{0,30}$")
    spam_mailboxes: tuple[int, ...] = ()

    @property
    def url(self) -> str:
        """The API root without a trailing slash."""
        return self.base_url.rstrip("/")

    @property
    def account(self) -> str:
        """The account name in tickets and case ids: ``company``, else the host of another
        ``base_url`` (a proxy, the fake).

        Every Help Scout account is reached at the same host (``https://api.helpscout.net``,
        CONTRACTS.md §1.1: Help Scout has no subdomain), so that host names no account: unset,
        the plugin names none, as the Zendesk and Freshdesk plugins do when neither subdomain
        nor base URL is set, and ``serviceflow serve`` refuses to start on it alone. Credentials
        name no account either (``GET /v2/users/me`` returns a ``companyId``, §5.2, but whether
        it is stable and meant as a name is UNVERIFIED, and the account must be known before any
        call).

        Raises:
            NotConfigured: nothing names the account.
        """
        if self.company:
            return self.company
        host = urlsplit(self.url).hostname
        if host and self.url != API_ROOT:
            return host
        raise NotConfigured(
            "set SERVICEFLOW_HELPSCOUT_COMPANY to name the Help Scout account (and "
            "SERVICEFLOW_HELPSCOUT_APP_ID, SERVICEFLOW_HELPSCOUT_APP_SECRET and "
            "SERVICEFLOW_HELPSCOUT_WEBHOOK_SECRET to reach it); an install that ran without it "
            "named its cases after the API host: set SERVICEFLOW_HELPSCOUT_COMPANY=api.helpscout.net "
            "to keep their case ids"
        )

    def account_or_none(self) -> str | None:
        """:attr:`account`, or None when the settings name none."""
        try:
            return self.account
        except NotConfigured:
            return None

    def credentials(self) -> tuple[str, str]:
        """``(app_id, app_secret)``.

        Raises:
            NotConfigured: either is missing.
        """
        secret = self.app_secret.get_secret_value() if self.app_secret else ""
        if not self.app_id or not secret:
            raise NotConfigured(
                "set SERVICEFLOW_HELPSCOUT_APP_ID and SERVICEFLOW_HELPSCOUT_APP_SECRET "
                "(Help Scout: Your Profile > My apps > Create My App)"
            )
        return self.app_id, secret

    def secret(self) -> str | None:
        """The webhook secret key, when configured."""
        return self.webhook_secret.get_secret_value() if self.webhook_secret else None

    def cache_key(self) -> tuple[str | None, ...]:
        """What identifies one client: address and credentials (never shown)."""
        return (self.url, self.app_id, self.app_secret.get_secret_value() if self.app_secret else None)
