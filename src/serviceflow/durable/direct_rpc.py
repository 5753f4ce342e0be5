"""A case's signal-with-start and plain signal as prebuilt gRPC requests, where the SDK's own
call would send the very same request.

``Client.start_workflow(..., start_signal=...)`` builds a ``SignalWithStartWorkflowExecutionRequest``
on every call: the interceptor chain, a ``StartWorkflowInput``, the data converter re-bound to
the workflow's serialization and storage contexts twice, four ``DataConverter.encode`` calls
(start argument, signal argument, UI summary, UI details), the search attribute, the header,
the Nexus links, then a ``WorkflowHandle`` for the answer (temporalio/client/_impl.py
``_build_signal_with_start_workflow_execution_request`` and
``_populate_start_workflow_execution_request``, SDK 1.35); ``WorkflowHandle.signal`` likewise
for a ``SignalWorkflowExecutionRequest`` (``_ClientImpl.signal_workflow``). For a case every
field but the workflow id, the request id, the signal's payload, the requester attribute and the
UI texts is the same for a task queue, so :class:`DirectRequests` keeps the rest in a template
and sends a copy through ``client.workflow_service`` (the SDK's public raw-gRPC API) with the
arguments the SDK passes (``retry=True, metadata={}, timeout=None``; the test holds them
equal). The receiver's instructions per webhook: 1.68 -> 1.47 M for a new ticket, 1.29 ->
1.22 M for an update to a running case (benchmarks/RESULTS.md, ingest9).

Only for a client where those are the same requests (:func:`direct_requests`): no interceptors
(tracing's injects a header), the pydantic data converter itself (no payload codec, no external
storage, bytes that do not depend on the workflow), and not inside a Nexus operation (the SDK
adds its links). Any other client goes through the SDK's calls as before.
tests/durable/test_direct_rpc.py checks the requests are equal field by field and that the dev
server records the same case from both.
"""

from __future__ import annotations

import json
import uuid
import weakref

import temporalio.nexus
from temporalio.api.common.v1 import Payload, WorkflowExecution, WorkflowType
from temporalio.api.enums.v1 import WorkflowIdConflictPolicy, WorkflowIdReusePolicy
from temporalio.api.errordetails.v1 import WorkflowExecutionAlreadyStartedFailure
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import (
    SignalWithStartWorkflowExecutionRequest,
    SignalWorkflowExecutionRequest,
)
from temporalio.client import Client
from temporalio.common import RawValue, SearchAttributeIndexedValueType, TypedSearchAttributes
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import WorkflowSerializationContext, encode_search_attributes
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode, WorkflowService

#: The workflow type and signal every case is started and signalled with (CaseWorkflow, "event").
CASE_TYPE = "Case"
EVENT_SIGNAL = "event"


class DirectRequests:
    """A client's prebuilt requests to cases: signal-with-start from a template per task queue,
    and the plain signal."""

    def __init__(self, client: Client) -> None:
        # Held weakly: this object is the value of a cache keyed weakly by the client, and a
        # strong reference from it would keep every client (and its connection) alive.
        self._client = weakref.ref(client)
        self._namespace, self._identity = client.namespace, client.identity
        self._converter = client.data_converter.payload_converter
        self._templates: dict[str, SignalWithStartWorkflowExecutionRequest] = {}
        self._keyword_same: bool | None = None  # the keyword encoding below equals the SDK's

    def _service(self) -> WorkflowService:
        client = self._client()
        if client is None:  # only a live client's deliveries ask for its DirectRequests
            raise RuntimeError("the client of these requests is gone")
        return client.workflow_service

    def _template(self, task_queue: str, start: Payload) -> SignalWithStartWorkflowExecutionRequest:
        # What _populate_start_workflow_execution_request sets from start_workflow's defaults:
        # ALLOW_DUPLICATE, UNSPECIFIED conflict policy, no cron, no timeouts, no header fields
        # (headers={}) and the default priority (an empty message, still set).
        template = SignalWithStartWorkflowExecutionRequest(
            namespace=self._namespace,
            workflow_type=WorkflowType(name=CASE_TYPE),
            task_queue=TaskQueue(name=task_queue),
            identity=self._identity,
            workflow_id_reuse_policy=WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
            workflow_id_conflict_policy=WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED,
            signal_name=EVENT_SIGNAL,
        )
        template.input.payloads.append(start)
        template.priority.SetInParent()
        return template

    def start_request(
        self,
        workflow_id: str,
        task_queue: str,
        start: Payload,
        signal: object,
        attributes: TypedSearchAttributes | None,
        summary: str,
        details: str,
    ) -> SignalWithStartWorkflowExecutionRequest:
        """The request ``start_workflow`` would build for these (its request id a fresh uuid4).
        ``start``: the start argument's payload, the same for every case (the first one given
        is kept); ``signal``: the signal's argument (a RawValue is sent as it is, as the SDK
        does)."""
        template = self._templates.get(task_queue)
        if template is None:
            template = self._templates[task_queue] = self._template(task_queue, start)
        request = SignalWithStartWorkflowExecutionRequest()
        request.CopyFrom(template)
        request.workflow_id = workflow_id
        request.request_id = str(uuid.uuid4())
        # One to_payloads for the two texts, where the SDK's encode calls convert each alone:
        # the converter's payloads do not depend on their neighbours. A RawValue is its payload.
        summary_payload, details_payload = self._converter.to_payloads([summary, details])
        request.signal_input.payloads.append(self._payload(signal))
        if attributes is not None:
            self._attributes(attributes, request)
        request.user_metadata.summary.CopyFrom(summary_payload)
        request.user_metadata.details.CopyFrom(details_payload)
        return request

    def _payload(self, value: object) -> Payload:
        # CompositePayloadConverter.to_payloads passes a RawValue's payload through as it is.
        if isinstance(value, RawValue):
            return value.payload
        payload: Payload = self._converter.to_payloads([value])[0]
        return payload

    def _attributes(
        self, attributes: TypedSearchAttributes, request: SignalWithStartWorkflowExecutionRequest
    ) -> None:
        """``encode_search_attributes``' payloads, a keyword's made directly: the SDK's
        ``encode_typed_search_attribute_value`` checks a keyword list's items one by one, and a
        ``str`` is a Sequence, so it walks the requester key's characters (RESULTS.md, ingest9).
        A keyword is the default JSON converter's payload of the text (``json.dumps``, ASCII
        escapes) with the type ``Keyword``; the first is checked against the SDK's own."""
        fields = request.search_attributes.indexed_fields
        for pair in attributes.search_attributes:
            key, value = pair.key, pair.value
            keyword = key.indexed_value_type == SearchAttributeIndexedValueType.KEYWORD and type(value) is str
            if not keyword or self._keyword_same is False:
                encode_search_attributes(TypedSearchAttributes([pair]), request.search_attributes)
                continue
            payload = fields[key.name]
            payload.metadata["encoding"] = b"json/plain"
            payload.metadata["type"] = b"Keyword"
            payload.data = json.dumps(value).encode()
            if self._keyword_same is None:  # checked once: else the SDK's encoding from here on
                sdk = SignalWithStartWorkflowExecutionRequest()
                encode_search_attributes(TypedSearchAttributes([pair]), sdk.search_attributes)
                self._keyword_same = sdk.search_attributes.indexed_fields[key.name] == payload
                if not self._keyword_same:
                    payload.CopyFrom(sdk.search_attributes.indexed_fields[key.name])

    async def start(self, request: SignalWithStartWorkflowExecutionRequest) -> None:
        """Send it as ``start_workflow`` does; errors as it raises them."""
        try:
            await self._service().signal_with_start_workflow_execution(
                request, retry=True, metadata={}, timeout=None
            )
        except RPCError as err:
            # As _ClientImpl.start_workflow: ALREADY_EXISTS with its details is "already started".
            if err.status == RPCStatusCode.ALREADY_EXISTS and err.grpc_status.details:
                details = WorkflowExecutionAlreadyStartedFailure()
                if err.grpc_status.details[0].Unpack(details):
                    raise WorkflowAlreadyStartedError(
                        request.workflow_id,
                        CASE_TYPE,
                        run_id=details.run_id,
                        first_run_id=details.first_execution_run_id or None,
                    ) from None
            raise

    def signal_request(self, workflow_id: str, signal: object) -> SignalWorkflowExecutionRequest:
        """The request ``get_workflow_handle(workflow_id).signal("event", signal)`` would build."""
        request = SignalWorkflowExecutionRequest(
            namespace=self._namespace,
            workflow_execution=WorkflowExecution(workflow_id=workflow_id),
            signal_name=EVENT_SIGNAL,
            identity=self._identity,
            request_id=str(uuid.uuid4()),
        )
        request.input.payloads.append(self._payload(signal))
        return request

    async def signal(self, request: SignalWorkflowExecutionRequest) -> None:
        """Send it as ``WorkflowHandle.signal`` does (its RPCError as it is)."""
        await self._service().signal_workflow_execution(request, retry=True, metadata={}, timeout=None)


# Per client (held weakly, as the client's own objects): its DirectRequests, or None where the
# SDK's calls would build other requests. Decided once: a client's interceptors and converter
# are fixed when it is made.
_direct: weakref.WeakKeyDictionary[Client, DirectRequests | None] = weakref.WeakKeyDictionary()


def _eligible(client: Client) -> bool:
    converter = client.data_converter
    context = WorkflowSerializationContext(namespace=client.namespace, workflow_id="probe")
    return (
        not client.config(active_config=True)["interceptors"]
        and converter is pydantic_data_converter
        and converter.payload_codec is None
        and getattr(converter, "external_storage", None) is None  # the SDK has it from 1.24
        and converter.with_context(context) is converter
    )


def direct_requests(client: Client) -> DirectRequests | None:
    """The client's DirectRequests, or None where its own calls must build the requests."""
    if temporalio.nexus.in_operation():  # the SDK links a Nexus operation's requests to it
        return None
    try:
        return _direct[client]
    except KeyError:
        direct = DirectRequests(client) if _eligible(client) else None
        _direct[client] = direct
        return direct
