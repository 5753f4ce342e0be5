"""serviceflow: a durable workflow and policy engine beside your helpdesk."""

__version__ = "0.1.0"
