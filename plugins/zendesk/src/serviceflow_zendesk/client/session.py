"""The Zendesk client's connection: one pooled transport, its retry and pacing policy, and the
request helpers every group of calls uses (JSON bodies, cursor pagination).

The promises about rate limits and retries (see :mod:`serviceflow_zendesk.client`) are kept
here, by serviceflow's shared :class:`~serviceflow.plugins.http.RestTransport`; Zendesk adds
only its headers, rate-limit header names and error mapping (:mod:`..rest`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Self, Unpack

import httpx

from serviceflow.plugins.http import RestTransport, TransportKnobs, TransportOptions, options_for

from .. import rest
from ..auth import Credentials
from ..errors import UnexpectedResponse

Params = Sequence[tuple[str, str]]
#: The Zendesk client's transport defaults: serviceflow's shared ones, with its own agent.
TRANSPORT = TransportOptions(user_agent="serviceflow-zendesk")


class ZendeskSession:
    """One pooled ``httpx.AsyncClient`` to one Zendesk account, and the request plumbing.

    The groups of API calls (:mod:`.tickets`, :mod:`.tags`, :mod:`.people`, :mod:`.suspended`)
    build on it; :class:`~serviceflow_zendesk.client.ZendeskClient` is all of them together.
    """

    def __init__(
        self,
        base_url: str,
        auth: Credentials,
        *,
        max_conflict_retries: int = 3,
        page_size: int = 100,
        options: TransportOptions | None = None,
        **knobs: Unpack[TransportKnobs],
    ) -> None:
        """Configure the client; no request is made.

        Args:
            base_url: ``https://{subdomain}.zendesk.com`` (a trailing ``/api/v2`` is accepted),
                or the fake's ``base_url``.
            auth: :class:`~.auth.ApiToken` or :class:`~.auth.OAuthToken`.
            max_conflict_retries: Re-reads after a 409 before :class:`UpdateConflict` is raised.
            page_size: ``page[size]`` for cursor pagination (Zendesk allows at most 100).
            options: Retries, backoff, pacing, timeout, TLS, ``User-Agent``
                (:class:`~serviceflow.plugins.http.TransportOptions`); :data:`TRANSPORT`
                when omitted.
            **knobs: Fields of ``options`` by name (``max_retries=1``), overriding it.
        """
        opts = options_for(TRANSPORT, options, knobs)
        root = base_url.rstrip("/").removesuffix("/api/v2")
        self._rest = RestTransport.with_options(
            root,
            opts,
            errors=rest.ZendeskErrors(),
            label="Zendesk",
            headers=rest.headers(auth, opts.agent),
            rate_limits=rest.RATE_LIMITS,
        )
        self._max_conflict_retries = max_conflict_retries
        self._page_size = min(page_size, 100)
        self._sleep = opts.sleep

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._rest.aclose()

    # ------------------------------------------------------------------ requests

    async def _cursor(
        self, path: str, key: str, params: Params, ticket_id: int | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Every record of a cursor-paginated list: ``page[size]``, then ``page[after]`` with
        ``meta.after_cursor`` while ``meta.has_more`` (CONTRACTS.md §1.4). The next request is
        built here rather than taken from ``links.next``, so credentials never follow a URL the
        response chose."""
        base = [*params, ("page[size]", str(self._page_size))]
        after: str | None = None
        seen: set[str] = set()
        while True:
            query = base if after is None else [*base, ("page[after]", after)]
            data = await self._json("GET", path, params=query, ticket_id=ticket_id)
            items = body_field(data, key)
            if not isinstance(items, list):
                raise UnexpectedResponse(f"Zendesk GET {path}: {key!r} is not a list")
            for item in items:
                yield item
            meta = data.get("meta") or {}
            if not meta.get("has_more"):
                return
            after = meta.get("after_cursor")
            if not after or after in seen:
                raise UnexpectedResponse(f"Zendesk GET {path}: has_more without a new after_cursor")
            seen.add(after)

    async def _json(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        ticket_id: int | None = None,
        idempotent: bool | None = None,
    ) -> dict[str, Any]:
        data = await self._rest.json(
            method, path, params=params, json=json, context=ticket_id, idempotent=idempotent
        )
        if not isinstance(data, dict):
            raise UnexpectedResponse(f"Zendesk {method} {path}: the body is not a JSON object")
        return data

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        ticket_id: int | None = None,
    ) -> httpx.Response:
        """One API call through the transport (retries, ``Retry-After``, pacing)."""
        return await self._rest.request(method, path, params=params, json=json, context=ticket_id)


def body_field(data: Mapping[str, Any], key: str) -> Any:
    """``data[key]``, or :class:`UnexpectedResponse` when the answer lacks it."""
    if key not in data:
        raise UnexpectedResponse(f"Zendesk response has no {key!r}")
    return data[key]
