"""What every adapter of one configured account does the same way: its settings, the check that
a call is about that account, and one HTTP client per settings and event loop.

A plugin's adapter subclasses :class:`ConfiguredAdapter`, names its settings class (a
pydantic-settings class with an ``account`` and a ``cache_key()``, read from
``SERVICEFLOW_<VENDOR>_*``) and says how to build its client; settings are read again only when
their environment changes (:func:`serviceflow.plugins.settings.current_settings`), unless the
adapter is built with fixed settings (the conformance suite, tests).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from pydantic_settings import BaseSettings

from serviceflow.adapters.base import AdapterBase
from serviceflow.errors import ServiceflowError
from serviceflow.plugins.http.cache import ClientCache
from serviceflow.plugins.settings import current_settings


class AccountMismatch(ServiceflowError):
    """A call was about an account other than the configured one."""


class _Closable(Protocol):
    async def aclose(self) -> None: ...


S = TypeVar("S", bound=BaseSettings)
C = TypeVar("C", bound=_Closable)


class ConfiguredAdapter(AdapterBase, Generic[S, C]):
    """An adapter for the one account its settings configure.

    Attributes:
        settings_class: The plugin's settings class (``SERVICEFLOW_<VENDOR>_*``): its ``account``
            property is the account name in tickets and case ids (raising a
            ``ServiceflowError`` naming the variable to set when it is not configured), its
            ``cache_key()`` what identifies one client (address and credentials).
    """

    settings_class: ClassVar[type[BaseSettings]]

    def __init__(self, settings: S | None = None, *, client_options: Mapping[str, Any] | None = None) -> None:
        """An adapter reading its settings from the environment, or using ``settings``.

        Args:
            settings: Fixed settings instead of the environment's.
            client_options: Keyword arguments for every client :meth:`make_client` builds (page
                size, retry bounds, an injected ``sleep``).
        """
        self._settings = settings
        self.client_options = dict(client_options or {})
        self._clients: ClientCache[C] = ClientCache()

    def make_client(self, settings: S) -> C:
        """A new client for ``settings`` (with :attr:`client_options`)."""
        raise NotImplementedError

    def settings(self) -> S:
        """The current settings."""
        if self._settings is not None:
            return self._settings
        found: S = current_settings(self.settings_class)  # type: ignore[assignment]
        return found

    def checked(self, account: str) -> S:
        """The settings, for a call about ``account``.

        Raises:
            AccountMismatch: the settings are for another account.
        """
        settings = self.settings()
        configured = _account(settings)
        if account != configured:
            prefix = str(self.settings_class.model_config.get("env_prefix") or "")
            raise AccountMismatch(
                f"{self.description or self.vendor} account {account!r} is not configured "
                f"({prefix}* points at {configured!r})"
            )
        return settings

    def client(self, settings: S) -> C:
        """The shared client for these settings on the running event loop (created lazily)."""
        key: Hashable = settings.cache_key()  # type: ignore[attr-defined]
        return self._clients.get(key, lambda: self.make_client(settings))

    async def aclose(self) -> None:
        """Close the clients of the running loop (worker shutdown, tests)."""
        await self._clients.aclose()

    def accounts(self) -> Sequence[str]:
        try:
            return (_account(self.settings()),)
        except ServiceflowError:
            return ()


def _account(settings: BaseSettings) -> str:
    account: str = settings.account  # type: ignore[attr-defined]
    return account
