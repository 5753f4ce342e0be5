"""Fixtures for the durable tests; shared helpers live in durable_support.py (a unique module
name, so several test folders' helpers never shadow each other)."""

from durable_support import env, helpdesk, notifications, quarantine, worker

__all__ = ["env", "helpdesk", "notifications", "quarantine", "worker"]
