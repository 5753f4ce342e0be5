"""The receiver's ASGI application: a delivery goes straight to the receiver's webhook handler."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from serviceflow.receiver.answers import write

if TYPE_CHECKING:
    from serviceflow.receiver.app import Receiver


class WebhookEndpoint:
    """``POST /webhooks/{vendor}`` as a plain ASGI endpoint of Starlette's router (an object, not
    a function: Starlette's ``Route`` calls it with scope, receive and send rather than wrapping
    it in a ``Request``). The router takes a delivery here only where :class:`ReceiverApp`
    leaves it to Starlette (a mounted root path)."""

    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = await self.receiver.webhook(scope, receive, scope["path_params"]["vendor"])
        await write(answer, scope, send)


class ReceiverApp(Starlette):
    """The receiver's routes; a delivery (``POST /webhooks/{vendor}``) goes straight to its
    handler, without Starlette's middleware, router, ``Request`` or ``Response`` (RESULTS.md,
    ingest4 and ingest10), for layers it does not use (the handler answers every failure itself,
    and an exception escaping it is uvicorn's 500 as it was Starlette's). Anything else, a path
    with a slash after the vendor, a mounted root path, is Starlette's as before."""

    def __init__(self, receiver: Receiver, *, routes: list[Route]) -> None:
        super().__init__(routes=routes)
        # No 307 from ``/webhooks/zendesk/`` to ``http://<Host header>/webhooks/zendesk`` (the
        # router's default): a path the receiver does not serve is a 404, never a redirect to an
        # address the sender's own header chose (attack14).
        self.router.redirect_slashes = False
        self.receiver = receiver

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and not scope.get("root_path"):
            path: str = scope["path"]
            vendor = path[len(_WEBHOOKS) :]
            if path.startswith(_WEBHOOKS) and vendor and "/" not in vendor:  # the route's {vendor}
                await write(await self.receiver.webhook(scope, receive, vendor), scope, send)
                return
        await super().__call__(scope, receive, send)


_WEBHOOKS = "/webhooks/"


def routes(receiver: Receiver) -> list[Route]:
    """The receiver's routes: the webhook, health, readiness and the metrics."""

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def metrics(request: Request) -> Response:
        return PlainTextResponse(generate_latest(receiver.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return [
        Route("/webhooks/{vendor}", WebhookEndpoint(receiver), methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", receiver.readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
