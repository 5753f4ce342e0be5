"""What `serviceflow dev` shows a newcomer: a demo helpdesk, demo policies with targets of
minutes, and a scripted stream of customers (the refund story among them).

The demo helpdesk is a plugin's (:meth:`serviceflow.adapters.HelpdeskAdapter.demo_helpdesk`:
the plugin's fake, sending its webhooks to the receiver and taking real REST calls), chosen by
:mod:`.helpdesks`; or the built-in ``demo`` vendor, which writes the actions it is asked to
carry out to a JSONL file (:mod:`.builtin`). The story and its narrator (:mod:`.story`) work
with any of them.
"""
