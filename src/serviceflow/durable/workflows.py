"""CaseWorkflow: one durable workflow per ticket; what it does is case_flow.CaseFlow.

The sandbox runs a fresh copy of this module for every case (its bytecode read, its class
made): so it holds only the decorated methods. The sandbox checks this module's own code member by
member (datetime.now, random...), the passed-through case_flow.py only for restricted builtins
(durable/worker.py's WORKFLOW_RUNNER has the figures). No ``from __future__ import annotations``:
the SDK reads each handler's types, and real ones cost less to read than strings to evaluate.
"""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from serviceflow.durable.case_flow import CaseFlow
    from serviceflow.durable.messages import CaseResult, CaseStart, Operation
    from serviceflow.engine.inputs import LinkContact
    from serviceflow.model import CaseState, TicketEvent


@workflow.defn(name="Case")
class CaseWorkflow(CaseFlow):
    @workflow.run
    async def run(self, start: CaseStart) -> CaseResult:
        return await self._run(start)

    @workflow.signal(name="event")
    def event(self, event: TicketEvent) -> None:
        self._event(event)

    @workflow.signal(name="link")
    def link(self, contact: LinkContact) -> None:
        self._link(contact)

    @workflow.update(name="operate")
    def operate(self, operation: Operation) -> str:
        return self._operate(operation)

    @operate.validator
    def _operate_valid(self, operation: Operation) -> None:
        self._operate_allowed(operation)

    @workflow.query(name="state")
    def case_state(self) -> CaseState | None:
        return self._current()
