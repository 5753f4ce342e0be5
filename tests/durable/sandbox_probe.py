"""A workflow that makes the call it is told to, for test_sandbox.py: in its own module (the sandbox
re-imports it for every run, as it does serviceflow's workflows.py), and a helper module passed
through (as case_flow.py is)."""

import random
import time
from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    import sandbox_probe_helper


@workflow.defn(name="SandboxProbe")
class SandboxProbe:
    @workflow.run
    async def run(self, call: str) -> str:
        if call == "workflow.now":  # deterministic: the control
            return str(workflow.now())
        if call == "datetime.now":
            return str(datetime.now())
        if call == "random.random":
            return str(random.random())
        if call == "time.time":
            return str(time.time())
        if call == "open":
            with open(__file__) as source:
                return source.readline()
        return str(sandbox_probe_helper.CALLS[call]())
