"""Fixtures for the engine tests; shared helpers live in engine_support.py (a unique module name,
so several test folders' helpers never shadow each other)."""

from engine_support import rules_from, shipped_rules

__all__ = ["rules_from", "shipped_rules"]
