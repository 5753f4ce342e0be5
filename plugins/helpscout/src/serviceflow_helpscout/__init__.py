"""serviceflow's Help Scout plugin (Mailbox API 2.0).

Registered in the ``serviceflow`` entry-point group. It registers one adapter
(:class:`~.adapter.HelpScoutAdapter`, vendor ``helpscout``); its modules are :mod:`.webhooks`,
:mod:`.signature` and :mod:`.own_writes` (webhooks in), :mod:`.actions` (actions out),
:mod:`.client`, :mod:`.rest` and :mod:`.auth` (the REST API and its OAuth2 token),
:mod:`.models` and :mod:`.ids` (Help Scout's objects, validated), :mod:`.convert` (Help Scout's
words to serviceflow's), :mod:`.quarantine` (the spam folder) and :mod:`.demo` (``serviceflow
dev --helpdesk helpscout``). The fake Help Scout is test support, in its own sub-package
:mod:`serviceflow_helpscout.fake`. The contract it is all built from, with its sources, is
``CONTRACTS.md`` beside this package's distribution.
"""

from collections.abc import Callable

from serviceflow.plugins import hookimpl

from .adapter import ADAPTER, HelpScoutAdapter

__all__ = ["ADAPTER", "HelpScoutAdapter", "serviceflow_register_adapters"]


@hookimpl
def serviceflow_register_adapters(register: Callable[..., None]) -> None:
    register(ADAPTER)
