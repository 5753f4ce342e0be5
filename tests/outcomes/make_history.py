"""Record the replay fixture of outcome recording: `.venv/bin/python tests/outcomes/make_history.py`.

histories/record_outcomes.json: a case recorded after the case workflow began recording each
decision's outcomes (`workflow.patched("record-outcomes")`, a local activity after each
decision): opened, warned, breached and escalated, then answered.
histories/outcomes_in_decide.json: the same story recorded after the decide local activity began
recording them itself (`workflow.patched("outcomes-in-decide")`, asked at the start of the run):
no record_outcomes marker.
histories/outcomes_in_decide_fallback.json: the same story under `outcomes-in-decide` on a worker
whose decide activity has no store (recorded=False in every decide marker): each decision's
outcomes go to the record_outcomes local activity instead (the fallback branch).
test_replay_outcomes.py replays them all with today's code.
This script records the two newer, kept once recorded (`--force` records them again); the first
was recorded by the code before `outcomes-in-decide` (up to 255ac50) and is kept as it is.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import textwrap
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests"))

from outcomes_support import POLICY  # noqa: E402
from temporal_support import Case, build_worker  # noqa: E402
from temporalio.contrib.pydantic import pydantic_data_converter  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402

from conftest import MINIMAL_SET  # noqa: E402
from serviceflow.durable.binaries import temporal_test_server  # noqa: E402
from serviceflow.fakes.waiting import skip_time, wait_until  # noqa: E402
from serviceflow.outcomes import OutcomeKind  # noqa: E402
from serviceflow.outcomes.store import OutcomeStore  # noqa: E402

TARGETS = {
    HERE / "histories" / "outcomes_in_decide.json": True,
    HERE / "histories" / "outcomes_in_decide_fallback.json": False,
}


async def main() -> None:
    for target, in_decide in TARGETS.items():
        if target.exists() and "--force" not in sys.argv:
            print(f"kept {target.name} (use --force to record it again)")
            continue
        await record(target, in_decide=in_decide)


async def record(target: Path, *, in_decide: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        os.environ["SERVICEFLOW_DEMO_LOG"] = str(Path(folder) / "demo-actions.jsonl")
        policies = Path(folder) / "policies"
        policies.mkdir()
        (policies / "policyset.yaml").write_text(MINIMAL_SET)
        (policies / "simple.yaml").write_text(textwrap.dedent(POLICY))
        store = OutcomeStore(str(Path(folder) / "outcomes.sqlite3"))
        env = await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=str(temporal_test_server()), data_converter=pydantic_data_converter
        )
        try:
            worker, _ = build_worker(env.client, policies, store, in_decide=in_decide)
            async with worker:
                case = Case(env.client, worker.task_queue)
                await case.send("created", await env.get_current_time())
                await skip_time(env, timedelta(hours=2, minutes=5))
                await case.send("agent_reply", await env.get_current_time())
                await wait_until(
                    lambda: any(r.kind is OutcomeKind.FIRST_RESPONSE for r in store.read()), 30, "the reply"
                )
                assert case.handle is not None
                history = await case.handle.fetch_history()
                rows = len(store.read())
                await case.handle.terminate("recorded")
        finally:
            await env.shutdown()
    target.write_text(history.to_json())
    print(f"recorded {target.name}: {len(history.events)} events, {rows} outcome rows in the store")


if __name__ == "__main__":
    asyncio.run(main())
