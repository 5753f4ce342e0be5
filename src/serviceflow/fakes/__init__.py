"""Building blocks for fake helpdesks: real HTTP on 127.0.0.1 for tests, demos and plugin authors.

A vendor plugin's fake (in the plugin's own ``fake`` sub-package) keeps what is the vendor's:
routes, records, payloads, webhook headers and retry rules. The parts that are the same for every
vendor live here, one small module per job:

- :mod:`.server`: :class:`~.server.ServerThread`, an ASGI app served by uvicorn from a thread.
- :mod:`.calls`: :class:`~.calls.RequestInfo` and :class:`~.calls.CallLog`, the server-side record
  of every request, with a bounded wait.
- :mod:`.faults`: :class:`~.faults.Fault` and :class:`~.faults.FaultPlan`, injectable 429/5xx
  answers.
- :mod:`.webhooks`: :class:`~.webhooks.DeliveryWorker`, the thread that sends a fake's outgoing
  webhooks and keeps a log to wait on.
"""
