"""CaseWorkflow: one durable workflow per ticket; what it does is case_flow.CaseFlow.

It holds only the decorated methods, each delegating to CaseFlow. The worker's sandbox passes
this module through, as it does case_flow.py (durable/worker.py's WORKFLOW_RUNNER has why and the
figures): it is loaded once per worker, not once per case, and must hold no state of a run. No
``from __future__ import annotations``: the SDK reads each handler's types, and real ones cost
less to read than strings to evaluate. The signals take ``*args`` and check their argument
(signal_args.py has why): one missing, null, of a wrong shape or in excess is logged and
ignored, where it failed every workflow task of the case for good.
"""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from serviceflow.durable.case_flow import CaseFlow
    from serviceflow.durable.messages import CaseResult, CaseStart, Operation
    from serviceflow.durable.signal_args import one_argument
    from serviceflow.engine.inputs import LinkContact
    from serviceflow.model import CaseState, TicketEvent


@workflow.defn(name="Case")
class CaseWorkflow(CaseFlow):
    @workflow.init
    def __init__(self, start: CaseStart) -> None:
        super().__init__(start)

    @workflow.run
    async def run(self, start: CaseStart) -> CaseResult:
        return await self._run(start)

    @workflow.signal(name="event")
    def event(self, *args: object) -> None:
        event = one_argument("event", args, TicketEvent)
        if event is not None:
            self._event(event)

    @workflow.signal(name="link")
    def link(self, *args: object) -> None:
        contact = one_argument("link", args, LinkContact)
        if contact is not None:
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
