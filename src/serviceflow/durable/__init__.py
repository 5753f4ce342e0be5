"""The durable shell: one Temporal workflow per ticket, the activities it calls, and the worker.

No business rule lives here; every decision is the engine's (:mod:`serviceflow.engine`).
"""

TASK_QUEUE = "serviceflow"
