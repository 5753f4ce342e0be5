"""Which demo helpdesk ``serviceflow dev`` runs: the plugins' own, from the adapter registry.

Every installed adapter that offers a demo helpdesk is a choice (``--helpdesk {vendor}``), the
most preferred one the default; ``builtin`` is serviceflow's own file-backed helpdesk (no
webhooks: its tickets are signalled directly, its actions written to a JSON-lines file).
"""

from __future__ import annotations

from serviceflow.adapters.demo import DemoHelpdesk
from serviceflow.adapters.registry import registry
from serviceflow.errors import ServiceflowError

BUILTIN = "builtin"
AUTO = "auto"


class UnknownDemoHelpdesk(ServiceflowError):
    """No installed plugin offers the demo helpdesk asked for."""


def choices() -> list[str]:
    """Every demo helpdesk that can run now, the default first."""
    return [*registry().demo_choices(), BUILTIN]


def resolve(name: str) -> str:
    """The demo helpdesk ``name`` means (``auto``: the most preferred installed one).

    Raises:
        UnknownDemoHelpdesk: no installed plugin offers it (the message lists what can run).
    """
    available = choices()
    if name == AUTO:
        return available[0]
    if name not in available:
        known = ", ".join(available)
        hint = (
            f"; install the plugin that serves it (pip install -e plugins/{name})"
            if name.isidentifier()
            else ""
        )
        raise UnknownDemoHelpdesk(f"--helpdesk is one of {known}, not {name!r}{hint}")
    return name


def demo_helpdesk(name: str) -> DemoHelpdesk | None:
    """A new, stopped demo helpdesk for a resolved ``name``; None for the built-in one."""
    if name == BUILTIN:
        return None
    desk = registry().require(name).demo_helpdesk()
    if desk is None:  # pragma: no cover - resolve() lists only adapters that offer one
        raise UnknownDemoHelpdesk(f"the {name} plugin offers no demo helpdesk")
    return desk
