"""A stub OpenTelemetry collector on 127.0.0.1 that keeps the spans it is sent, as OTLP/HTTP
documents them (open-telemetry/opentelemetry-proto, docs/specification.md, "OTLP/HTTP"):

- ``POST /v1/traces`` with an ``ExportTraceServiceRequest``, binary protobuf
  (``Content-Type: application/x-protobuf``) or JSON (``application/json``, with trace and span
  ids as hex strings and enums as integers);
- on success ``200`` with an ``ExportTraceServiceResponse`` in the request's content type;
- a body that does not decode: ``400``; another content type: ``415``; over the spec's
  recommended 20 MiB: ``413``; any other path: ``404``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from starlette.types import Receive, Scope, Send

from serviceflow.fakes.server import ServerThread
from serviceflow.fakes.sink import read_body

LIMIT = 20 * 1024 * 1024
PROTOBUF, JSON = "application/x-protobuf", "application/json"
# SpanKind numbers (opentelemetry/proto/trace/v1/trace.proto).
KINDS = {0: "UNSPECIFIED", 1: "INTERNAL", 2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER"}


@dataclass(frozen=True)
class ReceivedSpan:
    trace_id: str  # hex
    span_id: str
    parent_span_id: str  # "" for a root span
    name: str
    kind: str
    service: str
    attributes: dict[str, Any]
    links: tuple[str, ...]  # the trace ids of the spans linked to


@dataclass
class CollectorStub:
    spans: list[ReceivedSpan] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # the content type of each export
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ServerThread | None = None

    def start(self) -> CollectorStub:
        async def asgi(
            scope: Scope, receive: Receive, send: Send
        ) -> None:  # a function: uvicorn takes it as ASGI 3
            await self.app(scope, receive, send)

        self._server = ServerThread(asgi, name="otlp-collector-stub")
        self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()

    @property
    def endpoint(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.port}"

    def received(self) -> list[ReceivedSpan]:
        with self._lock:
            return list(self.spans)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        kind = headers.get("content-type", "").split(";")[0].strip()
        if scope["method"] != "POST" or scope["path"] != "/v1/traces":
            return await answer(send, 404, b"", "text/plain")
        body = await read_body(receive)
        if len(body) > LIMIT:
            return await answer(send, 413, b"", "text/plain")
        try:
            if kind == PROTOBUF:
                spans = from_protobuf(body)
            elif kind == JSON:
                spans = from_json(json.loads(body))
            else:
                return await answer(send, 415, b"", "text/plain")
        except (ValueError, KeyError, TypeError):
            return await answer(send, 400, b"", kind)
        with self._lock:
            self.spans.extend(spans)
            self.requests.append(kind)
        empty = ExportTraceServiceResponse()  # full success: partial_success left unset
        await answer(send, 200, empty.SerializeToString() if kind == PROTOBUF else b"{}", kind)


async def answer(send: Send, status: int, body: bytes, content_type: str) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _value(value: AnyValue) -> Any:
    which = value.WhichOneof("value")
    if which == "array_value":
        return [_value(v) for v in value.array_value.values]
    return getattr(value, which) if which else None


def from_protobuf(body: bytes) -> list[ReceivedSpan]:
    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(body)
    except Exception as exc:  # protobuf's DecodeError
        raise ValueError(str(exc)) from exc
    found = []
    for resource_spans in request.resource_spans:
        resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                found.append(
                    ReceivedSpan(
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_span_id=span.parent_span_id.hex(),
                        name=span.name,
                        kind=KINDS.get(span.kind, str(span.kind)),
                        service=str(resource.get("service.name", "")),
                        attributes={a.key: _value(a.value) for a in span.attributes},
                        links=tuple(link.trace_id.hex() for link in span.links),
                    )
                )
    return found


def _json_value(value: dict[str, Any]) -> Any:
    if "arrayValue" in value:
        return [_json_value(v) for v in value["arrayValue"].get("values", [])]
    for key in ("stringValue", "boolValue", "doubleValue"):
        if key in value:
            return value[key]
    if "intValue" in value:
        return int(value["intValue"])  # 64-bit integers are decimal strings in JSON
    return None


def from_json(document: dict[str, Any]) -> list[ReceivedSpan]:
    found = []
    for resource_spans in document.get("resourceSpans", []):
        attributes = resource_spans.get("resource", {}).get("attributes", [])
        resource = {a["key"]: _json_value(a["value"]) for a in attributes}
        for scope_spans in resource_spans.get("scopeSpans", []):
            for span in scope_spans.get("spans", []):
                found.append(
                    ReceivedSpan(
                        trace_id=span["traceId"].lower(),
                        span_id=span["spanId"].lower(),
                        parent_span_id=span.get("parentSpanId", "").lower(),
                        name=span["name"],
                        kind=KINDS.get(int(span.get("kind", 0)), str(span.get("kind"))),
                        service=str(resource.get("service.name", "")),
                        attributes={a["key"]: _json_value(a["value"]) for a in span.get("attributes", [])},
                        links=tuple(link["traceId"].lower() for link in span.get("links", [])),
                    )
                )
    return found
