"""Backtest: replay a helpdesk's history through the engine with a simulated clock.

``serviceflow backtest SOURCE`` reads history (:mod:`.sources`: an export file whose format a
plugin documents, serviceflow's own event lines, or a helpdesk account through its adapter),
replays every ticket's events in time order through :func:`serviceflow.engine.decide.decide`
(:mod:`.replay`), and reports what the policy set would have done (:mod:`.report`); with
``--against`` two policy sets side by side and the tickets whose outcome differs
(:mod:`.compare`).

Core never names a vendor: a plugin offers its export formats on its adapter (``export_formats``,
see :class:`.formats.ExportFormat`) and core reads files through them.
"""
