"""The calls a test's Temporal client makes, recorded by an interceptor that passes each on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from temporalio.client import (
    Interceptor,
    OutboundInterceptor,
    SignalWorkflowInput,
    StartWorkflowInput,
    WorkflowHandle,
)


@dataclass
class Calls(Interceptor):
    """The client calls made, in order: ``made`` "start" (signal-with-start) or "signal" (a plain
    one), ``made_for`` the same with the workflow id ("start ID")."""

    made: list[str] = field(default_factory=list)
    made_for: list[str] = field(default_factory=list)

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _Recording(next, self)


class _Recording(OutboundInterceptor):
    def __init__(self, next: OutboundInterceptor, calls: Calls) -> None:
        super().__init__(next)
        self.calls = calls

    def _record(self, kind: str, workflow_id: str) -> None:
        self.calls.made.append(kind)
        self.calls.made_for.append(f"{kind} {workflow_id}")

    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
        self._record("start", input.id)
        return await super().start_workflow(input)

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        self._record("signal", input.id)
        await super().signal_workflow(input)
