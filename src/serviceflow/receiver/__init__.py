"""The webhook receiver: where helpdesks talk to serviceflow (``POST /webhooks/{vendor}``)."""
