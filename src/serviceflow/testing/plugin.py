"""The conformance suite as a pytest plugin (entry point ``serviceflow`` in ``pytest11``).

Installed with serviceflow, it is active in every pytest run. In any test folder whose
``conftest.py`` defines the ``helpdesk_contract`` fixture (returning a
:class:`~serviceflow.testing.ContractTarget`), it collects the contract's tests
(:mod:`serviceflow.testing.contract`) once more, under that folder, with that fixture: a plugin
gets the whole suite by writing the one fixture. Their node ids read
``<folder>/helpdesk-contract::test_...``.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

#: The fixture a plugin's conftest defines.
FIXTURE = "helpdesk_contract"
CONTRACT_MODULE = "serviceflow.testing.contract"

pytest.register_assert_rewrite(CONTRACT_MODULE)


class ContractModule(pytest.Module):
    """The contract's tests, collected under the folder whose conftest provides the target."""

    def _getobj(self) -> ModuleType:
        return importlib.import_module(CONTRACT_MODULE)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Add the contract beside a conftest that defines ``helpdesk_contract``."""
    if file_path.name != "conftest.py" or not _provides_target(parent.config, file_path):
        return None
    module: pytest.Collector = ContractModule.from_parent(parent, path=file_path.parent / "helpdesk-contract")
    return module


def _provides_target(config: pytest.Config, conftest: Path) -> bool:
    """Whether the conftest (loaded before its folder's files are collected, and registered as a
    plugin under its path) defines the target fixture by name."""
    module: Any = config.pluginmanager.get_plugin(str(conftest))
    return module is not None and callable(getattr(module, FIXTURE, None))
