"""The worker's workflow runner is the sandbox, and it is on: a non-deterministic call in a
sandboxed workflow module fails the workflow task (RestrictedWorkflowAccessError). What it does not
check is pinned too (durable/worker.py): code in a module passed through (workflows.py,
case_flow.py, the engine) is checked for the restricted builtins only."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from durable_support import REPO, ROSTER, outcomes_in
from sandbox_probe import SandboxProbe
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import (
    SandboxedWorkflowRunner,
    SandboxRestrictions,
)

from serviceflow.durable.activities import CaseActivities
from serviceflow.durable.policy_store import PolicyStore
from serviceflow.durable.settings import Settings
from serviceflow.durable.worker import CASE_WORKFLOW_MODULE, WORKFLOW_RUNNER, build_worker
from serviceflow.fakes.waiting import eventually

RESTRICTED = ["datetime.now", "random.random", "time.time", "open", "helper: open"]
PASSED_THROUGH = ["helper: datetime.now", "helper: random.random", "helper: time.time"]


async def outcome(handle: WorkflowHandle[SandboxProbe, str]) -> str:
    """``completed``, or the failure of the first failed workflow task: its type and message."""
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
            return "completed"
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            failure = event.workflow_task_failed_event_attributes.failure
            return f"{failure.application_failure_info.type}: {failure.message}"
    return ""


async def probe(
    env: WorkflowEnvironment, call: str, runner: SandboxedWorkflowRunner = WORKFLOW_RUNNER
) -> str:
    queue = f"sandbox-{uuid.uuid4()}"
    async with Worker(env.client, task_queue=queue, workflows=[SandboxProbe], workflow_runner=runner):
        handle = await env.client.start_workflow(
            SandboxProbe.run, call, id=f"probe-{uuid.uuid4()}", task_queue=queue
        )
        try:
            return str(await eventually(lambda: outcome(handle), 20, f"the probe of {call} to end a task"))
        finally:
            if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:  # its task retried
                await handle.terminate("test over")


async def test_serviceflow_worker_runs_its_workflows_in_the_sandbox(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    activities = CaseActivities(PolicyStore([REPO / "policies"]), ROSTER)
    built = build_worker(
        env.client, Settings(task_queue="sandboxed"), activities, outcomes=outcomes_in(tmp_path)
    )
    assert built.config()["workflow_runner"] is WORKFLOW_RUNNER
    assert isinstance(WORKFLOW_RUNNER, SandboxedWorkflowRunner)


def test_only_the_case_workflow_s_module_is_passed_through() -> None:
    """workflows.py only delegates to case_flow.py (passed through already): loaded once per worker
    instead of once per case. The watcher's and the reconciler's modules hold their own logic and
    stay checked member by member."""
    from serviceflow.durable.quarantine import QuarantineWatcher
    from serviceflow.durable.reconcile import Reconciler
    from serviceflow.durable.workflows import CaseWorkflow

    def passed_through(module: str) -> bool:  # the SDK's rule: the module or a parent is named
        parts = module.split(".")
        return bool(
            {".".join(parts[:n]) for n in range(1, len(parts) + 1)} & restrictions.passthrough_modules
        )

    restrictions = WORKFLOW_RUNNER.restrictions
    assert not restrictions.passthrough_all_modules
    assert passed_through(CaseWorkflow.__module__)
    for checked in (QuarantineWatcher, Reconciler):
        assert not passed_through(checked.__module__), checked
    assert restrictions == SandboxRestrictions.default.with_passthrough_modules(CASE_WORKFLOW_MODULE)


async def test_a_passed_through_workflow_module_still_meets_the_restricted_builtins(
    env: WorkflowEnvironment,
) -> None:
    """What passing workflows.py through keeps: a restricted builtin in the workflow's own module
    still fails its task; what it gives up: the member checks of that module's own code."""
    passed = SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(SandboxProbe.__module__)
    )
    failed = await probe(env, "open", passed)
    assert failed.startswith("RestrictedWorkflowAccessError: Cannot access"), failed
    assert await probe(env, "datetime.now", passed) == "completed"


async def test_a_deterministic_workflow_completes(env: WorkflowEnvironment) -> None:
    assert await probe(env, "workflow.now") == "completed"


@pytest.mark.parametrize("call", RESTRICTED)
async def test_a_restricted_call_fails_the_workflow_task(env: WorkflowEnvironment, call: str) -> None:
    failed = await probe(env, call)
    assert failed.startswith("RestrictedWorkflowAccessError: Cannot access"), failed


@pytest.mark.parametrize("call", PASSED_THROUGH)
async def test_a_passed_through_module_is_not_checked_member_by_member(
    env: WorkflowEnvironment, call: str
) -> None:
    """The SDK's limit, not a wish: were it lifted, durable/worker.py's comment would change."""
    assert await probe(env, call) == "completed"
