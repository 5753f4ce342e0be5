"""The integration's identity in each helpdesk account, learned once and kept.

A webhook can only be told apart from a person's change once the receiver knows which user
serviceflow itself acts as (:meth:`~.protocol.HelpdeskAdapter.whoami`). :class:`Identities`
asks each account once, with a bounded wait, and keeps the answer for the life of the process
(the credentials, and so the user, change only with a restart). When the helpdesk cannot be
reached, or the credentials act as no one, it says so with :class:`IdentityUnavailable`, and
asks again no more than once per ``retry_after`` seconds: a delivery is never held up for long,
and never attributed by guess.

Only a failure that a later attempt can mend is retryable (the helpdesk slow, unreachable, 429 or
5xx: the adapter's error says so with ``retryable = True``). A refusal no retry fixes, above all a
setting that is missing (the plugins' ``*NotConfigured``, whose message names the variable to
set), is raised as :class:`IdentityRefused`: still an :class:`IdentityUnavailable` (the receiver
answers 503, so the helpdesk delivers again once it is set), but a backfill stops at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable

from serviceflow.adapters.protocol import HelpdeskAdapter
from serviceflow.adapters.records import Identity
from serviceflow.errors import IdentityUnavailable

log = logging.getLogger(__name__)

#: Seconds one ``whoami`` may take before the delivery waiting on it is answered 503.
WHOAMI_TIMEOUT = 5.0
#: Seconds after a failed ``whoami`` during which deliveries fail fast instead of asking again.
RETRY_AFTER = 5.0


class IdentityRefused(IdentityUnavailable):
    """The identity cannot be learned until a person changes something (a setting, the
    credentials): asking again does not help, so callers that retry (a backfill) stop at once."""

    retryable = False


def _retryable(exc: BaseException) -> bool:
    """Whether asking again later may succeed: the adapter's error says so (429, 5xx, transport:
    ``retryable = True``), or it is the network's own (``OSError``: refused, reset, DNS)."""
    return bool(getattr(exc, "retryable", False)) or isinstance(exc, OSError)


class Identities:
    """``whoami`` per (vendor, account), cached on success, failing fast after a failure."""

    def __init__(
        self,
        *,
        timeout: float = WHOAMI_TIMEOUT,
        retry_after: float = RETRY_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.timeout = timeout
        self.retry_after = retry_after
        self._clock = clock
        self._known: dict[tuple[str, str], Identity] = {}
        self._failed: dict[tuple[str, str], tuple[float, str, bool]] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    def learn(self, identity: Identity) -> None:
        """Keep an identity learned elsewhere (a process that asked already, a test's fixture)."""
        self._known[(identity.vendor, identity.account)] = identity
        self._failed.pop((identity.vendor, identity.account), None)

    def known(self, vendor: str, account: str) -> Identity | None:
        """The identity if it has been learned."""
        return self._known.get((vendor, account))

    async def of(self, adapter: HelpdeskAdapter, account: str) -> Identity:
        """The integration's identity in ``account``, asking the helpdesk the first time.

        Raises:
            IdentityUnavailable: the helpdesk did not answer in time, refused, or named no user
                (then again, without asking, until ``retry_after`` has passed);
                :class:`IdentityRefused`, not retryable, when no retry can fix it (a missing
                setting: its message names the variable to set).
        """
        key = (adapter.vendor, account)
        found = self._known.get(key)
        if found is not None:
            return found
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            found = self._known.get(key)
            if found is not None:
                return found
            failed = self._failed.get(key)
            if failed is not None and self._clock() - failed[0] < self.retry_after:
                kind = IdentityUnavailable if failed[2] else IdentityRefused
                raise kind(failed[1], vendor=adapter.vendor, account=account)
            try:
                identity = await asyncio.wait_for(adapter.whoami(account), self.timeout)
            except TimeoutError:
                raise self._failure(
                    key, f"{adapter.vendor} did not say who serviceflow is within {self.timeout:.0f}s"
                ) from None
            except Exception as exc:  # the helpdesk's own error, whatever it is: say it, never guess
                message = f"{adapter.vendor} could not say who serviceflow is: {exc}"
                raise self._failure(key, message, retryable=_retryable(exc)) from exc
            if (identity.vendor, identity.account) != key:
                raise self._failure(
                    key, f"{adapter.vendor} answered the identity of {identity.vendor}:{identity.account}"
                )
            self._known[key] = identity
            self._failed.pop(key, None)
            log.info("%s:%s: serviceflow acts as user %s (%s)", *key, identity.id, identity.name or "-")
            return identity

    async def warm(self, adapters: Iterable[HelpdeskAdapter]) -> None:
        """Learn every configured account's identity now; failures are logged, not raised."""
        for adapter in adapters:
            for account in adapter.accounts():
                try:
                    await self.of(adapter, account)
                except IdentityUnavailable as exc:
                    log.warning("%s (webhooks for it are answered 503 until it is known)", exc)

    def _failure(self, key: tuple[str, str], message: str, *, retryable: bool = True) -> IdentityUnavailable:
        self._failed[key] = (self._clock(), message, retryable)
        log.warning("%s:%s: %s", *key, message)
        kind = IdentityUnavailable if retryable else IdentityRefused
        return kind(message, vendor=key[0], account=key[1])
