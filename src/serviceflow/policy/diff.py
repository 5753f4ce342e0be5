"""What changed between two versions of a policy set, rule by rule (``serviceflow policy diff``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from serviceflow.policy.loader import PolicySet
from serviceflow.policy.schema import RULE_SECTIONS


def _rules(policy_set: PolicySet) -> dict[str, Any]:
    """Every document, section and named rule of the set, as plain data by a readable key."""
    found: dict[str, Any] = {}
    settings = policy_set.settings
    found[f"PolicySet {settings.name}: on_change"] = settings.on_change
    found[f"PolicySet {settings.name}: defaults"] = settings.defaults.model_dump()
    found[f"PolicySet {settings.name}: fallback"] = settings.fallback.model_dump()
    for name, calendar in settings.calendars.items():
        found[f"calendar {name}"] = calendar.model_dump(mode="json")
    for name, ladder in settings.escalations.items():
        found[f"ladder {name}"] = ladder.model_dump(mode="json")
    for kind, documents in (("Policy", policy_set.policies), ("Journey", policy_set.journeys)):
        for document in documents:
            data = document.model_dump(mode="json", by_alias=True)
            named = {part[0] for part in RULE_SECTIONS[kind]}
            head = {k: v for k, v in data.items() if k not in named}
            found[f"{kind.lower()} {document.name}"] = head
            for section in RULE_SECTIONS[kind]:
                items: Any = document
                for part in section:
                    items = getattr(items, part, None) if isinstance(items, BaseModel) else None
                for item in items or []:
                    found[f"{kind.lower()} {document.name}/{item.name}"] = item.model_dump(
                        mode="json", by_alias=True
                    )
    return found


def _fields(old: Any, new: Any) -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        return sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    return []


def diff(old: PolicySet, new: PolicySet) -> list[str]:
    """One line per rule added, removed or changed (with the keys that changed)."""
    before, after = _rules(old), _rules(new)
    lines = []
    for key in sorted(before.keys() | after.keys()):
        if key not in after:
            lines.append(f"- {key}: removed")
        elif key not in before:
            lines.append(f"+ {key}: added")
        elif before[key] != after[key]:
            fields = _fields(before[key], after[key])
            detail = f" ({', '.join(fields)})" if fields else f" ({before[key]} -> {after[key]})"
            lines.append(f"~ {key}: changed{detail}")
    return lines
