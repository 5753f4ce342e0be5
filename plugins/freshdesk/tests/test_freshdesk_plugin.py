from importlib import metadata

from serviceflow.plugins import ENTRY_POINT_GROUP, installed_plugins


def test_entry_point_is_registered() -> None:
    names = {ep.name: ep.value for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}
    assert names.get("freshdesk") == "serviceflow_freshdesk"


def test_plugin_registers_its_vendor() -> None:
    plugins = {info.name: info for info in installed_plugins()}
    assert plugins["freshdesk"].vendors == ("freshdesk",)
    assert plugins["freshdesk"].distribution == "serviceflow-freshdesk"
