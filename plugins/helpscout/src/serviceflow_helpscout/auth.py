"""OAuth2 client credentials for the Mailbox API 2.0, as an ``httpx.Auth`` for the shared transport.

Help Scout's internal integrations use the Client Credentials flow (CONTRACTS.md §1.2, the
Authentication page): ``POST /v2/oauth2/token`` with ``grant_type=client_credentials``,
``client_id`` and ``client_secret`` answers ``{"token_type": "bearer", "access_token": ...,
"expires_in": 172800}`` (SECONDARY, quoting the page's later section; the lifetime is read from
every answer, never assumed), and every API call carries ``Authorization: Bearer <token>``
(OFFICIAL). The body is sent form-encoded: the official page accepts "JSON, form or query params",
the official PHP client sends JSON, and a live-tested client reports that only the form is
accepted (SECONDARY, hscli), so the form is the one every source agrees works.

What :class:`ClientCredentials` promises:

- one token per client, fetched on first use and kept until shortly before ``expires_in`` runs
  out; concurrent calls wait for the one fetch instead of each fetching;
- a 401 on a call made with a kept token (expired early, revoked) fetches a new token **once**
  and sends the call again **once**, as the official PHP client's ``RestClient::send`` does
  (OFFICIAL-SDK); a second 401 is the answer;
- when the token request itself fails (bad credentials, a 429, a 5xx) its answer *is* the
  answer to the call, so the transport maps it like any other: a 429 is waited out and retried,
  a 401 is :class:`~.errors.AuthenticationFailed`. Client credentials return no refresh token
  (SECONDARY); asking again with the same credentials is the refresh.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any

import httpx

from .errors import UnexpectedResponse

TOKEN_PATH = "/v2/oauth2/token"
#: A token is renewed this long before Help Scout says it expires (at most a tenth of its life).
RENEW_MARGIN = 60.0


class ClientCredentials(httpx.Auth):
    """Bearer tokens from the client-credentials grant, cached and renewed (see the module).

    Attributes:
        fetches: How many token requests were made (tests and logs read it).
    """

    requires_request_body = True  # a call answered 401 is sent again, body and all

    def __init__(
        self,
        token_url: str,
        app_id: str,
        app_secret: str,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._token_url = token_url
        self._form = {"grant_type": "client_credentials", "client_id": app_id, "client_secret": app_secret}
        self._clock = clock
        self._token: str | None = None
        self._renew_at = 0.0
        self._lock = asyncio.Lock()
        self.fetches = 0

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("the Help Scout client is asynchronous")
        yield request  # pragma: no cover - makes this a generator, as httpx expects

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        await request.aread()  # what httpx's own flows do for requires_request_body
        token = self._kept()
        fresh = token is None
        if token is None:
            async with self._lock:
                token = self._kept()
                if token is None:
                    answer = yield self._token_request()
                    token = self._take(await _read(answer))
            if token is None:
                return  # the token request's own failure is the answer
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code != 401 or fresh:
            return
        async with self._lock:
            if self._token == token:
                self._token = None
            token = self._kept()
            if token is None:
                answer = yield self._token_request()
                token = self._take(await _read(answer))
        if token is None:
            return
        request.headers["Authorization"] = f"Bearer {token}"
        yield request

    # ------------------------------------------------------------------ the token

    def forget(self) -> None:
        """Drop the kept token (the next call fetches one)."""
        self._token = None

    def _kept(self) -> str | None:
        if self._token is not None and self._clock() < self._renew_at:
            return self._token
        return None

    def _token_request(self) -> httpx.Request:
        self.fetches += 1
        return httpx.Request("POST", self._token_url, data=self._form, headers={"Accept": "application/json"})

    def _take(self, response: httpx.Response) -> str | None:
        """The token of a successful answer (kept); None for a failed one, which is then the
        answer to the call.

        Raises:
            UnexpectedResponse: a success without an ``access_token`` (never taken for the call's
                own answer).
        """
        if not response.is_success:
            return None
        try:
            data: Any = response.json()
        except ValueError:
            data = None
        token = data.get("access_token") if isinstance(data, dict) else None
        lifetime = data.get("expires_in") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise UnexpectedResponse(
                f"Help Scout POST {TOKEN_PATH} -> {response.status_code} without an access_token",
                status=response.status_code,
                method="POST",
                url=str(response.request.url),
            )
        usable = isinstance(lifetime, int | float) and not isinstance(lifetime, bool) and lifetime > 0
        seconds = float(lifetime) if usable else 0.0  # type: ignore[arg-type]
        self._token = token
        self._renew_at = self._clock() + max(seconds - min(RENEW_MARGIN, seconds / 10), 0.0)
        return token


async def _read(response: httpx.Response) -> httpx.Response:
    await response.aread()
    return response
