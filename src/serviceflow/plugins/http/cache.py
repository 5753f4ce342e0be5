"""One HTTP client per settings and event loop, created on first use."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Hashable
from typing import Generic, Protocol, TypeVar


class _Closable(Protocol):
    async def aclose(self) -> None: ...


C = TypeVar("C", bound=_Closable)


class ClientCache(Generic[C]):
    """One client per settings key and event loop, created on first use.

    An ``httpx.AsyncClient`` pools connections and is bound to the loop it first ran on, so a
    plugin's hooks share a client per loop (a loop that is garbage collected takes its clients
    with it) and close them at worker shutdown or between tests.
    """

    def __init__(self) -> None:
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Hashable, C]] = (
            weakref.WeakKeyDictionary()
        )

    def get(self, key: Hashable, make: Callable[[], C]) -> C:
        """The client for ``key`` on the running loop; ``make()`` builds it the first time."""
        per_loop = self._clients.setdefault(asyncio.get_running_loop(), {})
        client = per_loop.get(key)
        if client is None:
            client = make()
            per_loop[key] = client
        return client

    async def aclose(self) -> None:
        """Close and forget the clients of the running loop."""
        per_loop = self._clients.pop(asyncio.get_running_loop(), {})
        for client in per_loop.values():
            await client.aclose()
