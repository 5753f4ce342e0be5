"""The receiver's ASGI application: a delivery goes straight to the receiver's webhook handler."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

if TYPE_CHECKING:
    from serviceflow.receiver.app import Receiver


class ReceiverApp(Starlette):
    """The receiver's routes; a delivery (``POST /webhooks/{vendor}``) goes straight to its
    handler, without Starlette's middleware and router: a twentieth of the receiver's
    instructions per webhook (RESULTS.md, ingest4), for layers it does not use (the handler
    answers every failure itself, and an exception escaping it is uvicorn's 500 as it was
    Starlette's). Anything else, a path with a slash after the vendor, a mounted root path, is
    Starlette's as before."""

    def __init__(self, receiver: Receiver, *, routes: list[Route]) -> None:
        super().__init__(routes=routes)
        self.receiver = receiver

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and not scope.get("root_path"):
            path: str = scope["path"]
            vendor = path[len(_WEBHOOKS) :]
            if path.startswith(_WEBHOOKS) and vendor and "/" not in vendor:  # the route's {vendor}
                scope["app"] = self
                scope["path_params"] = {"vendor": vendor}
                response = await self.receiver.webhook(Request(scope, receive, send))
                await response(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


_WEBHOOKS = "/webhooks/"
