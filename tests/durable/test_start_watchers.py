"""The worker's start of quarantine watchers from its settings. (Review cases' notifications are
tested with the channels, in tests/channels/test_review_notifier.py.)"""

from __future__ import annotations

import pytest


async def test_watchers_refuse_a_malformed_account_and_skip_a_vendor_no_plugin_serves(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from serviceflow.durable.settings import Settings
    from serviceflow.durable.worker import start_watchers

    with pytest.raises(ValueError, match="is not 'vendor:account'"):
        await start_watchers(None, Settings(quarantine_watch=["zendesk"]))  # type: ignore[arg-type]
    assert await start_watchers(None, Settings(quarantine_watch=["nobody:acme"])) == []  # type: ignore[arg-type]
    assert "no installed plugin watches the quarantine of 'nobody'" in caplog.text
