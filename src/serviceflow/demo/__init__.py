"""What `serviceflow dev` shows a newcomer: a demo helpdesk, demo policies with targets of
minutes, and a scripted stream of customers (the refund story among them).

The demo helpdesk is the fake Zendesk of the Zendesk plugin when it is installed (signed
webhooks in, real REST calls out, a suspended-mail queue); otherwise the built-in ``demo``
vendor, which writes the actions it is asked to carry out to a JSONL file.
"""
