"""Deciding off the event loop: the durable shell's activities run on an asyncio loop, and a
decision is CPU work (CEL, calendars) that must never hold that loop, whatever a rule costs.

Decisions run one at a time on a thread of their own: cel-python keeps each evaluation's state
in its module's globals (so evaluations are serialized anyway, see
:mod:`serviceflow.cel.celpy_backend`), and a decision's CEL is bounded by the checker (macro
depth, list literals) and by an iteration budget per evaluation, so a rule that would take too
long fails as a rule error with the safe fallback instead of freezing anything.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from serviceflow.engine.decide import decide
from serviceflow.engine.inputs import Context, EngineInput, Outcome
from serviceflow.engine.rules import Rules
from serviceflow.model import CaseState

_DECISIONS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="serviceflow-decide")


async def decide_off_loop(
    state: CaseState | None,
    engine_input: EngineInput,
    now: datetime,
    rules: Rules,
    context: Context | None = None,
) -> Outcome:
    """:func:`~serviceflow.engine.decide.decide`, on the decisions' thread; the loop stays free."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_DECISIONS, decide, state, engine_input, now, rules, context)
