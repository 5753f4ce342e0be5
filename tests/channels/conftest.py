"""Fixtures of the channel tests; helpers live in channel_support.py (a unique module name)."""

from channel_support import mattermost, pagerduty, slack, teams, waits

__all__ = ["mattermost", "pagerduty", "slack", "teams", "waits"]
