"""Fake receivers of notifications for tests and demos: real HTTP and SMTP on 127.0.0.1.

- :class:`~.chat.FakeSlack`, :class:`~.chat.FakeMattermost`, :class:`~.chat.FakeTeams`: incoming
  webhooks with their documented answers; :class:`~.pagerduty.FakePagerDuty`: the Events API v2
  with its alerts. Each is a :class:`~.base.FakeReceiver` (``url``, ``calls``, ``fail(429,
  retry_after=...)``, ``accepted``).
- :class:`~.smtp.FakeSmtp` (import it from ``serviceflow.channels.fake.smtp``; it needs the test
  extras): an aiosmtpd server, plain, STARTTLS or TLS, with logins and refusals.
"""

from serviceflow.channels.fake.base import FakeReceiver, Post
from serviceflow.channels.fake.chat import FakeMattermost, FakeSlack, FakeTeams
from serviceflow.channels.fake.pagerduty import Alert, FakePagerDuty

__all__ = ["Alert", "FakeMattermost", "FakePagerDuty", "FakeReceiver", "FakeSlack", "FakeTeams", "Post"]
