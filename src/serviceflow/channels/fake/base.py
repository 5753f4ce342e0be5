"""What every fake notification receiver shares: a real HTTP server on 127.0.0.1, a record of
every request, injectable 429/5xx faults, and one path that is "the webhook".

A fake models the vendor as its documentation says, including what it answers when something is
wrong, so a channel's reading of answers is tested against the documented ones, not against
what the channel expects.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from starlette.types import Receive, Scope, Send

from serviceflow.fakes.calls import CallLog, RequestInfo
from serviceflow.fakes.faults import Fault, FaultPlan
from serviceflow.fakes.server import ServerThread
from serviceflow.fakes.sink import read_body


@dataclass(frozen=True)
class Post(RequestInfo):
    """A request as it arrived, and the status the fake answered."""

    status: int = 0


@dataclass(frozen=True)
class Answer:
    """What the fake answers: a status, a body (text, or JSON when not a string), headers."""

    status: int
    body: Any = ""
    headers: tuple[tuple[str, str], ...] = ()


class FakeReceiver:
    """Base of the fakes: subclasses say the webhook's path and answer a POST to it."""

    name = "receiver"

    def __init__(self) -> None:
        self.token = secrets.token_hex(12)  # the secret part of the webhook URL
        self.calls: CallLog[Post] = CallLog()
        self.faults = FaultPlan()

        async def asgi(scope: Scope, receive: Receive, send: Send) -> None:  # a function: ASGI 3 to uvicorn
            await self.app(scope, receive, send)

        self._server = ServerThread(asgi, name=f"fake-{self.name}")

    # -- life ----------------------------------------------------------------------------------

    def start(self) -> FakeReceiver:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> FakeReceiver:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return self._server.base_url

    @property
    def path(self) -> str:
        """The path of the webhook (its secret included)."""
        raise NotImplementedError

    @property
    def url(self) -> str:
        """The webhook URL to configure the channel with."""
        return self.base_url + self.path

    # -- what tests look at --------------------------------------------------------------------

    def fail(self, status: int, *, times: int = 1, retry_after: float | None = None) -> None:
        """Answer the next ``times`` posts with ``status`` (and ``Retry-After`` on 429/503)."""
        self.faults.add(Fault(remaining=times, status=status, retry_after=retry_after))

    @property
    def accepted(self) -> list[Any]:
        """The JSON of every post the fake took, oldest first."""
        return [post.json for post in self.calls.snapshot() if 200 <= post.status < 300]

    def wait_for_posts(self, count: int, timeout: float = 10.0) -> list[Post]:
        """Every post so far, once there are ``count``; bounded by ``timeout`` seconds."""
        return self.calls.wait_for(lambda calls: len(calls) >= count, timeout)

    # -- the server ----------------------------------------------------------------------------

    def answer(self, body: bytes, headers: dict[str, str]) -> Answer:
        """The vendor's answer to a POST on the webhook's path."""
        raise NotImplementedError

    def rate_limited(self, fault: Fault) -> Answer:
        """The vendor's answer when a fault is queued (429 or 5xx)."""
        return Answer(fault.status, str(fault.payload({})), tuple(fault.headers().items()))

    def not_found(self) -> Answer:
        return Answer(404, "not found")

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await read_body(receive)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        method, path = scope["method"], scope["path"]
        if method != "POST":
            answer = Answer(405, "method not allowed")
        elif path != self.path:
            answer = self.not_found()
        elif (fault := self.faults.take(method, path)) is not None:
            answer = self.rate_limited(fault)
        else:
            answer = self.answer(body, headers)
        self.calls.append(
            Post(
                method=method,
                path=path,
                query=(),
                headers=headers,
                body=body,
                status=answer.status,
            )
        )
        is_text = isinstance(answer.body, str)
        payload = answer.body.encode() if is_text else json.dumps(answer.body).encode()
        content_type = b"text/plain; charset=utf-8" if is_text else b"application/json"
        response_headers = [(b"content-type", content_type)]
        response_headers += [(k.lower().encode(), v.encode()) for k, v in answer.headers]
        await send({"type": "http.response.start", "status": answer.status, "headers": response_headers})
        await send({"type": "http.response.body", "body": payload})


def parse_json(body: bytes) -> Any:
    """The body as JSON, or a sentinel ``ValueError`` instance when it is not JSON."""
    try:
        return json.loads(body)
    except ValueError as exc:
        return exc
