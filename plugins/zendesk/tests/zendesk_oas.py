"""Where the tests find Zendesk's official OAS, and the committed extract used when it is absent.

Every request is checked against the *full* OAS (:mod:`serviceflow_zendesk.fake.oas`), found at
``SERVICEFLOW_ZENDESK_OAS`` or beside the repository (``shared/vendor/zendesk-support-openapi.yaml``,
35k lines; Zendesk publishes it without a licence in the stored copy, so it is not committed). A
checkout without it falls back to the committed extract, ``data/zendesk_oas_subset.json`` (the
operations the plugin and the fake use, every component they reference, and the method list of
*every* path), and the conftest says so. The extract is regenerated, and checked against the full
spec when it is present, by::

    .venv/bin/python plugins/zendesk/tests/zendesk_oas.py [path/to/zendesk-support-openapi.yaml]

The OAS's known defects are handled in :mod:`serviceflow_zendesk.fake.oas`.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from serviceflow_zendesk.fake.oas import FULL_SPEC_NAME, OasContract, load_full_spec

HERE = Path(__file__).resolve().parent
SUBSET_FILE = HERE / "data" / "zendesk_oas_subset.json"

#: Path templates whose operations are extracted (the client's and the fake's surface).
SUBSET_PATHS = (
    "/api/v2/tickets",
    "/api/v2/tickets/{ticket_id}",
    "/api/v2/tickets/{ticket_id}/comments",
    "/api/v2/tickets/{ticket_id}/tags",
    "/api/v2/tickets/{ticket_id}/merge",
    "/api/v2/tickets/{ticket_id}/audits",
    "/api/v2/users",
    "/api/v2/users/me",
    "/api/v2/users/show_many",
    "/api/v2/users/search",
    "/api/v2/users/{user_id}",
    "/api/v2/groups",
    "/api/v2/group_memberships",
    "/api/v2/job_statuses/{job_status_id}",
    "/api/v2/suspended_tickets",
    "/api/v2/suspended_tickets/{id}",
    "/api/v2/suspended_tickets/{id}/recover",
    "/api/v2/suspended_tickets/recover_many",
    "/api/v2/suspended_tickets/destroy_many",
    "/api/v2/incremental/tickets/cursor",
)
METHODS = ("get", "put", "post", "delete", "patch")


# ---------------------------------------------------------------------- the extract


def find_full_spec() -> Path | None:
    """The official OAS: ``SERVICEFLOW_ZENDESK_OAS``, else beside the repository
    (``shared/vendor/``), if this checkout has it."""
    named = os.environ.get("SERVICEFLOW_ZENDESK_OAS")
    if named:
        return Path(named)
    for parent in HERE.parents:
        candidate = parent / "shared" / "vendor" / FULL_SPEC_NAME
        if candidate.is_file():
            return candidate
    return None


def _strip(node: Any) -> Any:
    """Drop examples and prose: they are large and never change what validates."""
    if isinstance(node, dict):
        return {
            k: _strip(v)
            for k, v in node.items()
            if k not in ("example", "examples") and not (k == "description" and isinstance(v, str))
        }
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _refs(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def build_subset(full: Mapping[str, Any], source_sha256: str) -> dict[str, Any]:
    """The extract: :data:`SUBSET_PATHS`, their transitive components, and every path's methods."""
    paths = {p: _strip(full["paths"][p]) for p in SUBSET_PATHS}
    components: dict[str, dict[str, Any]] = {}
    pending = list(_refs(paths))
    while pending:
        ref = pending.pop()
        root, section, name = ref.removeprefix("#/").split("/", 2)
        if root != "components":
            raise ValueError(f"unsupported $ref {ref}")
        if name in components.get(section, {}):
            continue
        target = _strip(full[root][section][name])
        components.setdefault(section, {})[name] = target
        pending.extend(_refs(target))
    return {
        "openapi": full["openapi"],
        "info": {**_strip(full["info"]), "x-extract-of": FULL_SPEC_NAME, "x-source-sha256": source_sha256},
        "paths": paths,
        "components": {s: dict(sorted(c.items())) for s, c in sorted(components.items())},
        "x-all-operations": {
            p: [m for m in METHODS if m in item] for p, item in sorted(full["paths"].items())
        },
    }


def load_contract() -> OasContract:
    """The full OAS when this checkout has it, else the committed extract."""
    full = find_full_spec()
    return OasContract.from_file(full if full is not None else SUBSET_FILE)


def regenerate(full_path: Path) -> dict[str, Any]:
    """Build the extract from the official OAS file."""
    raw = full_path.read_bytes()
    return build_subset(load_full_spec(full_path), hashlib.sha256(raw).hexdigest())


def main(argv: list[str]) -> int:
    """Regenerate the extract from the full OAS (argument, or found beside the repository)."""
    full = Path(argv[1]) if len(argv) > 1 else find_full_spec()
    if full is None:
        print(f"usage: {argv[0]} path/to/{FULL_SPEC_NAME}", file=sys.stderr)
        return 2
    subset = regenerate(full)
    SUBSET_FILE.parent.mkdir(exist_ok=True)
    SUBSET_FILE.write_text(json.dumps(subset, indent=1, sort_keys=False) + "\n")
    size = SUBSET_FILE.stat().st_size
    print(f"wrote {SUBSET_FILE} ({size} bytes, {len(subset['paths'])} paths)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
