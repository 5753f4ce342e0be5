"""Core never names a vendor: no module under ``src/serviceflow`` imports a vendor plugin, names
its package or distribution, or branches on a vendor's name.

The vendors are whatever plugins are installed (the ``serviceflow`` entry-point group, so a third
helpdesk's plugin is covered the day it is installed) and the two this repository ships. Docs and
comments may speak of Zendesk the product; they may not name ``serviceflow_zendesk``.
"""

from __future__ import annotations

import ast
from importlib import metadata
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "src" / "serviceflow"
SHIPPED = {"zendesk": "serviceflow_zendesk", "freshdesk": "serviceflow_freshdesk"}
BUILT_IN = {"demo"}  # core's own file-backed helpdesk


def vendor_plugins() -> tuple[set[str], set[str]]:
    """(vendor names, plugin module and distribution names) of every helpdesk plugin."""
    vendors, modules = set(SHIPPED), set(SHIPPED.values())
    for entry in metadata.entry_points(group="serviceflow"):
        if entry.value.split(".")[0] == "serviceflow":
            continue
        vendors.add(entry.name)
        modules.add(entry.value.split(".")[0].split(":")[0])
        if entry.dist is not None:
            modules.add(entry.dist.metadata["Name"])
    return vendors - BUILT_IN, modules | {m.replace("_", "-") for m in modules}


def problems_in(source: str, where: str, vendors: set[str], modules: set[str]) -> list[str]:
    found = [f"{where}: names {name}" for name in sorted(modules) if name in source]
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            names = []
        found += [f"{where}:{node.lineno}: imports {n}" for n in names if n.split(".")[0] in modules]
        if isinstance(node, ast.Compare):
            for part in [node.left, *node.comparators]:
                constants = part.elts if isinstance(part, ast.Tuple | ast.List | ast.Set) else [part]
                for constant in constants:
                    if isinstance(constant, ast.Constant) and constant.value in vendors:
                        found.append(f"{where}:{node.lineno}: compares with the vendor {constant.value!r}")
    return found


def test_no_core_module_imports_names_or_branches_on_a_vendor() -> None:
    vendors, modules = vendor_plugins()
    problems = []
    for path in sorted(CORE.rglob("*.py")):
        problems += problems_in(path.read_text(), str(path.relative_to(CORE.parent)), vendors, modules)
    assert problems == [], "\n".join(problems)


def test_the_check_bites() -> None:
    vendors, modules = {"zendesk"}, {"serviceflow_zendesk"}
    planted = (
        "from serviceflow_zendesk.fake import FakeZendesk\n"
        "import serviceflow_zendesk.adapter\n"
        'if helpdesk in ("zendesk", "builtin"):\n    pass\n'
        'x = vendor == "zendesk"\n'
    )
    found = problems_in(planted, "x.py", vendors, modules)
    assert any("imports serviceflow_zendesk.fake" in p for p in found)
    assert any("imports serviceflow_zendesk.adapter" in p for p in found)
    assert sum("compares with the vendor 'zendesk'" in p for p in found) == 2
    assert problems_in('"""Zendesk suspends mail."""\nvendor = "zendesk"\n', "y.py", vendors, modules) == []
