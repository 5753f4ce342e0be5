"""Fixtures of the reconcile tests (helpers in reconcile_support.py, a unique module name)."""

from reconcile_support import desk, env, worker

__all__ = ["desk", "env", "worker"]
