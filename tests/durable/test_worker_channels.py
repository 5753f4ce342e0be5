"""The worker's start-up checks of channel names: ``SERVICEFLOW_REVIEW_VIA`` is named as itself,
and an escalation ladder's ``via:`` naming no configured channel stops the worker before it
connects (it showed only as ``refused`` at the first breach)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from serviceflow.channels import ChannelSettingsError, LadderChannelError
from serviceflow.durable.notifier import Notifier
from serviceflow.durable.settings import Settings
from serviceflow.durable.worker import run_worker
from serviceflow.fakes.server import free_port

REPO = Path(__file__).resolve().parents[2]
LEVEL = "      - notify: [owner.lead]                # on the breach itself\n"


def _policies(tmp_path: Path, via: str) -> Path:
    folder = tmp_path / "policies"
    shutil.copytree(REPO / "policies", folder, ignore=shutil.ignore_patterns("scenarios"))
    text = (folder / "policyset.yaml").read_text()
    assert LEVEL in text
    (folder / "policyset.yaml").write_text(text.replace(LEVEL, LEVEL + f"        via: {via}\n", 1))
    return folder


def _settings(policies: Path, **overrides: object) -> Settings:
    nobody = f"127.0.0.1:{free_port()}"  # never reached: the checks come first
    return Settings(policies=[policies], temporal_address=nobody, **overrides)  # type: ignore[arg-type]


def test_a_bad_review_via_names_its_own_variable() -> None:
    with pytest.raises(ChannelSettingsError) as raised:
        Notifier.from_settings(Settings(review_via=["slack:leads"]))
    assert str(raised.value).startswith("1 problem in SERVICEFLOW_REVIEW_VIA: SERVICEFLOW_REVIEW_VIA names")
    with pytest.raises(ChannelSettingsError, match="^1 problem in SERVICEFLOW_CHANNELS: 'helpdesk'"):
        Notifier.from_settings(Settings(channels={"helpdesk": {"type": "webhook"}}))


async def test_a_ladder_naming_an_unknown_channel_stops_the_worker(tmp_path: Path) -> None:
    policies = _policies(tmp_path, "[helpdesk, slack:support-leadz, pagerduty]")
    settings = _settings(policies, channels={"slack:support-leads": {"url": "http://127.0.0.1:9/x"}})
    with pytest.raises(LadderChannelError) as raised:
        await run_worker(settings)
    lines = str(raised.value).splitlines()
    assert len(lines) == 3, lines  # one a name, then what to do
    for line, name in zip(lines, ("slack:support-leadz", "pagerduty"), strict=False):
        assert line.startswith(f"{policies / 'policyset.yaml'}:")
        assert f"escalations.standard.levels[0].via: {name!r} is not a configured channel" in line
        assert "(configured: helpdesk, slack:support-leads;" in line
    assert lines[-1].startswith(
        "error: escalation ladders name channels SERVICEFLOW_CHANNELS does not configure"
    )


async def test_a_ladder_naming_configured_channels_goes_on_to_connect(tmp_path: Path) -> None:
    policies = _policies(tmp_path, "[helpdesk, slack:support-leads]")
    settings = _settings(policies, channels={"slack:support-leads": {"url": "http://127.0.0.1:9/x"}})
    with pytest.raises(Exception) as raised:  # past the checks: Temporal is not there
        await run_worker(settings)
    assert not isinstance(raised.value, LadderChannelError | ChannelSettingsError)
