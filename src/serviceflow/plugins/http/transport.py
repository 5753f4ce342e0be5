"""One REST transport for every helpdesk plugin: httpx, retries, ``Retry-After``, pacing.

What a plugin adds is only the vendor's: authentication (an ``httpx.Auth``, or headers),
pagination, and the mapping of answers to its typed errors (:class:`ErrorMapper`). Everything
else is here, once:

- a pooled ``httpx.AsyncClient`` with the plugin's base URL, headers and auth;
- retries by :class:`~.retry.RetryPolicy` (429 after exactly its ``Retry-After``; 5xx with
  backoff only for calls that may be repeated; unsent requests always);
- pacing by the vendor's rate-limit headers before a 429 comes (:class:`~.ratelimit.Pacer`);
- JSON decoding that names the call when an answer is not what the contract promises;
- with tracing on (:mod:`serviceflow.tracing`), one client span around each call, its retries
  included (OpenTelemetry's HTTP client conventions: method, URL without the query, status,
  ``http.request.resend_count``; an error's type, never its message).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import httpx

from serviceflow import tracing
from serviceflow.plugins.http.errors import ApiError, TransportFailed, is_retry_safe, request_url
from serviceflow.plugins.http.options import TransportOptions
from serviceflow.plugins.http.ratelimit import Pacer, RateReader
from serviceflow.plugins.http.retry import RetryPolicy

log = logging.getLogger(__name__)

Params = Sequence[tuple[str, str]]
#: HTTP methods that may be repeated without applying twice (RFC 9110 §9.2.2). A call can say
#: otherwise: a Zendesk ticket PUT that carries a comment is not idempotent.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class ErrorMapper(Protocol):
    """How a vendor's answers become its typed errors (subclasses of :mod:`.errors`' classes)."""

    def for_response(self, response: httpx.Response, context: Any) -> ApiError:
        """The error for a non-2xx answer; ``context`` is what the caller passed to
        :meth:`RestTransport.request` (Zendesk: the ticket id, so a 404 is ``TicketGone``)."""
        ...

    def for_transport(
        self, exc: httpx.TransportError, *, method: str, url: str, retry_safe: bool
    ) -> ApiError:
        """The error for a call that got no answer (a subclass of ``TransportFailed``)."""
        ...

    def unexpected(self, message: str, *, response: httpx.Response | None = None) -> ApiError:
        """The error for a success whose body is not what the contract promises."""
        ...


class VendorErrors:
    """An :class:`ErrorMapper` with the two answers every vendor gives alike; a plugin subclasses
    it, names its ``label`` and its ``TransportFailed`` / unexpected-response classes, and writes
    only :meth:`for_response` (the vendor's error body and status mapping).

    Attributes:
        label: The vendor's name in messages ("Zendesk").
        transport_failed: The plugin's subclass of :class:`~.errors.TransportFailed`.
        unexpected_response: The plugin's error for a success whose body breaks the contract.
    """

    label: str = "HTTP"
    transport_failed: type[TransportFailed] = TransportFailed
    unexpected_response: type[ApiError] = ApiError

    def for_response(self, response: httpx.Response, context: Any) -> ApiError:
        raise NotImplementedError

    def for_transport(
        self, exc: httpx.TransportError, *, method: str, url: str, retry_safe: bool
    ) -> ApiError:
        return self.transport_failed(
            f"{self.label} {method} {url}: {type(exc).__name__}: {exc}",
            method=method,
            url=url,
            retry_safe=retry_safe,
        )

    def unexpected(self, message: str, *, response: httpx.Response | None = None) -> ApiError:
        if response is None:
            return self.unexpected_response(message)
        return self.unexpected_response(
            message,
            status=response.status_code,
            method=response.request.method,
            url=str(response.request.url),
        )


class RestTransport:
    """Calls one vendor's REST API (use as ``async with`` or call :meth:`aclose`)."""

    def __init__(
        self,
        base_url: str,
        *,
        errors: ErrorMapper,
        label: str,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
        rate_limits: RateReader | None = None,
        pace_reserve: int = 5,
        retry: RetryPolicy | None = None,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        """Configure the transport; no request is made.

        Args:
            base_url: The API root (``https://acme.zendesk.com``); paths are relative to it.
            errors: The vendor's error mapping.
            label: The vendor, as log lines and messages name it.
            headers: Headers sent with every request (``Accept``, ``User-Agent``, static auth).
            auth: An ``httpx.Auth`` for schemes with a flow (OAuth token refresh).
            rate_limits: Reads the vendor's rate-limit headers; None turns pacing off.
            pace_reserve: Below this many requests left in a window, requests are spaced out.
            retry: The retry policy (its ``sleep`` also paces).
            timeout: Per-request timeout in seconds.
            transport: An httpx transport (proxies, custom TLS).
            verify: TLS verification, or an ``ssl.SSLContext`` to share across clients.
        """
        self.label = label
        self.errors = errors
        self.retry = retry or RetryPolicy()
        self.pacer = Pacer(rate_limits, reserve=pace_reserve) if rate_limits is not None else None
        self._pacing = asyncio.Lock()
        self._http = httpx.AsyncClient(
            base_url=base_url,
            headers=dict(headers or {}),
            auth=auth,
            timeout=timeout,
            transport=transport,
            verify=verify,
        )

    @classmethod
    def with_options(
        cls,
        base_url: str,
        options: TransportOptions,
        *,
        errors: ErrorMapper,
        label: str,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
        rate_limits: RateReader | None = None,
    ) -> RestTransport:
        """A transport configured by a plugin client's :class:`~.options.TransportOptions`
        (retry policy, pacing reserve, timeout, httpx transport, TLS). The ``User-Agent`` is the
        caller's to put in ``headers`` (``options.agent``), beside the vendor's own."""
        return cls(
            base_url,
            errors=errors,
            label=label,
            headers=headers,
            auth=auth,
            rate_limits=rate_limits,
            pace_reserve=options.reserve,
            retry=options.retry_policy(),
            timeout=options.timeout,
            transport=options.transport,
            verify=options.verify,
        )

    async def __aenter__(self) -> RestTransport:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        idempotent: bool | None = None,
        context: Any = None,
    ) -> httpx.Response:
        """One API call, retried and paced; a 2xx answer, or the vendor's typed error.

        Args:
            method: The HTTP method.
            path: The path under the base URL (the client builds every URL itself, so
                credentials never follow a URL an answer chose).
            params: Query items in order (repeated keys stay separate).
            json: The JSON body.
            idempotent: Whether repeating the call cannot apply it twice; by default, by method.
            context: Handed to the error mapper.
        """
        repeatable = idempotent if idempotent is not None else method.upper() in IDEMPOTENT_METHODS
        sent = 0

        async def send() -> httpx.Response:
            nonlocal sent
            sent += 1
            return await self._send(method, path, params, json, repeatable, context)

        with tracing.span(f"{method.upper()} {self.label}", self._span_attributes(method, path),
                          kind=tracing.Kind.CLIENT) as span:  # fmt: skip
            try:
                response = await self.retry.run(send, log=log, label=self.label, idempotent=repeatable)
            except ApiError as exc:
                span.set({"http.response.status_code": exc.status})
                raise
            finally:
                span.set({"http.request.resend_count": sent - 1 if sent > 1 else None})
            span.set({"http.response.status_code": response.status_code})
            return response

    def _span_attributes(self, method: str, path: str) -> tracing.Attributes:
        if not tracing.enabled():
            return {}
        url = self._http.base_url.join(path).copy_with(query=None, fragment=None, userinfo=b"")
        return {
            "http.request.method": method.upper(),
            "url.full": str(url),
            "server.address": url.host,
            "server.port": url.port or (443 if url.scheme == "https" else 80),
            "serviceflow.helpdesk": self.label,
        }

    async def json(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        idempotent: bool | None = None,
        context: Any = None,
        expect: int | None = None,
    ) -> Any:
        """:meth:`request`, decoded as JSON (a 204 or an empty body is None).

        Raises:
            ApiError: the mapper's ``unexpected`` error when the status is not ``expect`` or
                the body is not JSON.
        """
        response = await self.request(
            method, path, params=params, json=json, idempotent=idempotent, context=context
        )
        if expect is not None and response.status_code != expect:
            raise self.errors.unexpected(
                f"{self.label} {method} {path}: expected {expect}, got {response.status_code}",
                response=response,
            )
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise self.errors.unexpected(
                f"{self.label} {method} {path}: the {response.status_code} body is not JSON",
                response=response,
            ) from exc

    async def _send(
        self, method: str, path: str, params: Params | None, json: Any, repeatable: bool, context: Any
    ) -> httpx.Response:
        await self._pace(method, path)
        query: list[tuple[str, str | int | float | bool | None]] | None = (
            list(params) if params is not None else None
        )
        try:
            response = await self._http.request(method, path, params=query, json=json)
        except httpx.TransportError as exc:
            raise self.errors.for_transport(
                exc,
                method=method,
                url=request_url(exc, path),
                retry_safe=is_retry_safe(exc, method, idempotent=repeatable),
            ) from exc
        if self.pacer is not None:
            self.pacer.observe(response.headers)
        if response.is_success:
            return response
        raise self.errors.for_response(response, context)

    async def _pace(self, method: str, path: str) -> None:
        """Wait as the budget asks before sending; a wait longer than the retry policy allows
        in-process raises a retryable rate-limit error without sending."""
        if self.pacer is None:
            return
        async with self._pacing:  # one decision at a time, so concurrent calls share the budget
            delay = self.pacer.delay()
        if delay <= 0:
            return
        if delay > self.retry.max_retry_after:
            raise self.errors.for_response(_refused(method, path, delay), None)
        log.info("%s: %s of the rate limit left; waiting %.2fs before %s %s", self.label,
                 self.pacer.budget.remaining if self.pacer.budget else "?", delay, method, path)  # fmt: skip
        await self.retry.sleep(delay)


def _refused(method: str, path: str, delay: float) -> httpx.Response:
    """A 429 the transport answers itself when pacing would wait longer than allowed: the vendor
    maps it like its own, so callers see one kind of rate-limit error."""
    request = httpx.Request(method, f"http://paced.invalid{path}")
    return httpx.Response(
        429, headers={"retry-after": f"{delay:.3f}"}, request=request, text="paced by serviceflow"
    )
