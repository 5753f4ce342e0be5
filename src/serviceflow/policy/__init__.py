"""Policies: the YAML policy language, its loader and checker."""

from serviceflow.policy.loader import (
    ExpressionSite,
    PolicyPathError,
    PolicySet,
    Report,
    load_policy_set,
    validate,
)

__all__ = [
    "ExpressionSite",
    "PolicyPathError",
    "PolicySet",
    "Report",
    "load_policy_set",
    "validate",
]
