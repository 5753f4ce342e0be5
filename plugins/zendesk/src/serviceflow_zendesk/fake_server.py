"""The fake Zendesk's HTTP server: serviceflow's :class:`~serviceflow.fakes.server.ServerThread`.

Kept as a module so ``from serviceflow_zendesk.fake_server import ServerThread`` keeps working.
"""

from serviceflow.fakes.server import ServerStartError, ServerThread

__all__ = ["ServerStartError", "ServerThread"]
