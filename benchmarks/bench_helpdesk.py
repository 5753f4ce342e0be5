"""The benchmarks' helpdesk: every action is carried out at once and reported to a callback.

It registers through whichever plugin API the installed serviceflow has: a vendor adapter
(``serviceflow_register_adapters``, whose adapter's ``apply_action`` the worker calls), or the
older ``serviceflow_apply_action`` hook. So the benchmarks measure any commit of the engine and
the durable shell, before and after the adapter API (benchmarks/engine_history.py runs old ones).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from serviceflow.model import Action
from serviceflow.plugins import get_plugin_manager, hookimpl

OnAction = Callable[[str, Action], None]


class BenchAdapter:
    """A helpdesk adapter for one vendor name, with only what carrying out actions needs."""

    description = "the benchmarks' helpdesk: records every action"
    demo_preference = 0
    quarantine = None

    def __init__(self, vendor: str, on_action: OnAction) -> None:
        self.vendor = vendor
        self.on_action = on_action

    def accounts(self) -> Sequence[str]:
        return ()

    def demo_helpdesk(self) -> None:
        return None

    async def apply_action(self, account: str, ticket_id: str, action: Action) -> str:
        self.on_action(ticket_id, action)
        return "done"

    async def fetch_ticket(self, account: str, ticket_id: str) -> Any:
        """Keeps no tickets: the case's read of the full ticket is answered at once ("not offered"),
        as by a helpdesk without reads (it failed, and was retried for 7 s, before)."""
        from serviceflow.errors import NotSupported

        raise NotSupported("the benchmarks' helpdesk keeps no tickets")


class _AdapterPlugin:
    def __init__(self, adapter: BenchAdapter) -> None:
        self.adapter = adapter

    @hookimpl
    def serviceflow_register_adapters(self, register: Callable[..., None]) -> None:
        register(self.adapter)


class _HookPlugin:
    def __init__(self, adapter: BenchAdapter) -> None:
        self.adapter = adapter

    @hookimpl
    def serviceflow_apply_action(self, vendor: str, account: str, ticket_id: str, action: Action) -> Any:
        if vendor != self.adapter.vendor:
            return None
        return self.adapter.apply_action(account, ticket_id, action)


def register_helpdesk(vendor: str, on_action: OnAction, name: str = "bench-helpdesk") -> Callable[[], None]:
    """Register the helpdesk for ``vendor``; returns what unregisters it."""
    manager = get_plugin_manager()
    adapter = BenchAdapter(vendor, on_action)
    adapters = hasattr(manager.hook, "serviceflow_register_adapters")
    manager.register(_AdapterPlugin(adapter) if adapters else _HookPlugin(adapter), name=name)
    return lambda: manager.unregister(name=name)


def bench_activities(case: Any, client: Any, queue: str, folder: Path) -> list[Callable[..., Any]]:
    """What ``serviceflow worker`` registers for ``case`` (CaseActivities), the outcome store an
    SQLite file in ``folder`` (serviceflow.durable.registration)."""
    from prometheus_client import CollectorRegistry

    from serviceflow.durable.registration import worker_activities
    from serviceflow.outcomes.activity import OutcomeActivities
    from serviceflow.outcomes.store import OutcomeStore

    outcomes = OutcomeActivities(
        OutcomeStore(f"sqlite:///{folder}/outcomes-{queue}.sqlite3"), registry=CollectorRegistry()
    )
    activities: list[Callable[..., Any]] = worker_activities(
        case, client, queue, outcomes, index_requester=False
    )
    return activities
