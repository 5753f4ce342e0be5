"""The receiver's app takes a delivery straight to its handler, past Starlette's middleware and
router: every request is answered exactly as Starlette with the same routes (and no redirect of
a trailing slash) answers it."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from serviceflow.receiver.app import Receiver, ReceiverApp

REQUESTS = [
    ("POST", "/webhooks/zendesk"),  # the handler: unsigned, refused
    ("POST", "/webhooks/nosuchdesk"),  # the handler: unknown vendor
    ("POST", "/webhooks/"),
    ("POST", "/webhooks"),
    ("POST", "/webhooks/zendesk/"),
    ("POST", "/webhooks/zendesk/extra"),
    ("POST", "/webhooks/zen%2Fdesk"),
    ("GET", "/webhooks/zendesk"),
    ("PUT", "/webhooks/zendesk"),
    ("GET", "/healthz"),
    ("POST", "/healthz"),
    ("GET", "/nothing/here"),
]


async def answer(app: Starlette, method: str, path: str) -> tuple[int, bytes, str | None, str | None]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as http:
        response = await http.request(method, path, content=b'{"hello": "world"}')
    return (
        response.status_code,
        response.content,
        response.headers.get("content-type"),
        response.headers.get("location"),
    )


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize(("method", "path"), REQUESTS)
async def test_answered_as_starlette_with_the_same_routes(
    method: str, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVICEFLOW_ZENDESK_SUBDOMAIN", "acme")
    monkeypatch.setenv("SERVICEFLOW_ZENDESK_WEBHOOK_SECRET", "a-secret")
    receiver = Receiver(connect=None, task_queue="q")  # type: ignore[arg-type]  # never reaches Temporal
    ours = receiver.app()
    assert isinstance(ours, ReceiverApp)
    plain = Starlette(routes=list(ours.routes))
    plain.router.redirect_slashes = False  # ours never redirects (test_receiver_hostile.py)
    assert await answer(ours, method, path) == await answer(plain, method, path)
