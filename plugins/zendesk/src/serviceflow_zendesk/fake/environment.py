"""Pointing serviceflow's Zendesk plugin at a fake: the ``SERVICEFLOW_ZENDESK_*`` settings that
make the plugin talk to a :class:`~.controller.FakeZendesk` on 127.0.0.1 and nothing else.

For a child process (``serviceflow worker``, ``serviceflow serve``), :func:`environment_for`
gives the environment to start it with; for this process, :func:`plugin_pointed_at` sets the
variables for the length of a ``with`` block, and :func:`fake_zendesk_in_this_process` starts a
fake as well. None of them needs pytest.
The names are the plugin's settings (:mod:`serviceflow_zendesk.settings`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping

from .controller import FakeZendesk

__all__ = [
    "ELSEWHERE",
    "environment_for",
    "fake_zendesk_in_this_process",
    "plugin_pointed_at",
    "plugin_settings",
]

#: Settings that would name another account or another way in (an OAuth token wins over the API
#: token): an environment pointed at a fake never carries them.
ELSEWHERE = ("SERVICEFLOW_ZENDESK_SUBDOMAIN", "SERVICEFLOW_ZENDESK_OAUTH_TOKEN")


def plugin_settings(fake: FakeZendesk, *, webhook_secret: str) -> dict[str, str]:
    """The plugin's settings for ``fake``: its URL, the admin's API token, and the secret the
    receiver checks webhook signatures with."""
    return {
        "SERVICEFLOW_ZENDESK_BASE_URL": fake.base_url,
        "SERVICEFLOW_ZENDESK_EMAIL": fake.email,
        "SERVICEFLOW_ZENDESK_API_TOKEN": fake.api_token,
        "SERVICEFLOW_ZENDESK_WEBHOOK_SECRET": webhook_secret,
    }


def environment_for(
    fake: FakeZendesk, *, webhook_secret: str, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``base`` (this process's environment by default) without :data:`ELSEWHERE`, with
    :func:`plugin_settings` for ``fake``."""
    kept = {k: v for k, v in (os.environ if base is None else base).items() if k not in ELSEWHERE}
    return kept | plugin_settings(fake, webhook_secret=webhook_secret)


@contextlib.contextmanager
def plugin_pointed_at(fake: FakeZendesk, *, webhook_secret: str = "unused") -> Iterator[FakeZendesk]:
    """Point this process's plugin at ``fake`` (already started) for the length of the block;
    then put every variable it changed back as it was."""
    settings = plugin_settings(fake, webhook_secret=webhook_secret)
    before = {name: os.environ.get(name) for name in (*ELSEWHERE, *settings)}
    try:
        for name in ELSEWHERE:
            os.environ.pop(name, None)
        os.environ.update(settings)
        yield fake
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def fake_zendesk_in_this_process(
    fake: FakeZendesk | None = None, *, webhook_secret: str = "unused"
) -> Iterator[FakeZendesk]:
    """Start ``fake`` (a new :class:`FakeZendesk` by default) and point this process's plugin at
    it (:func:`plugin_pointed_at`); on leaving, put the variables back and stop it."""
    started = (fake or FakeZendesk()).start()
    try:
        with plugin_pointed_at(started, webhook_secret=webhook_secret):
            yield started
    finally:
        started.stop()
