"""Slack, Mattermost and Teams incoming webhooks over real HTTP against fakes that answer as
each vendor documents: what is posted (people by name, the ticket with its link), 429 with
Retry-After, 5xx, refusals with their reason, and Teams' two kinds of webhook."""

from __future__ import annotations

from channel_support import TICKET, Waits, breach, channels_for

from serviceflow.channels import DeliveryOutcome, NotificationKind, Recipient
from serviceflow.channels.fake import FakeMattermost, FakeSlack, FakeTeams
from serviceflow.channels.http import Pacer


async def test_slack_gets_the_names_the_ticket_and_its_link(slack: FakeSlack, waits: Waits) -> None:
    channels = channels_for({"slack:support-leads": {"url": slack.url}}, waits)
    delivery = await channels.deliver("slack:support-leads", breach())
    assert delivery.outcome is DeliveryOutcome.DELIVERED, delivery
    assert delivery.detail == "200 ok" and delivery.attempts == 1
    (message,) = slack.messages
    assert message["text"].startswith("Breached: first-response on ticket 1042 (escalation level 1)")
    assert "For: Lee Lead, Max Manager" in message["text"]
    header, section = message["blocks"]
    assert header["text"]["text"] == "Breached: first-response on ticket 1042 (escalation level 1)"
    text = section["text"]["text"]
    assert "*For:* Lee Lead, Max Manager" in text and "1002" not in text
    assert '*Ticket:* 1042 "Charged twice for order 1042"' in text
    assert f"<{TICKET.url}|Open ticket 1042 " in text
    await channels.aclose()


async def test_slack_text_is_escaped_and_cut_to_the_block_limits(slack: FakeSlack, waits: Waits) -> None:
    channels = channels_for({"slack": {"url": slack.url}}, waits)
    long = breach(subject="Breached <b>&" + "x" * 400, body="y" * 5_000)
    delivery = await channels.deliver("slack", long)
    assert delivery.outcome is DeliveryOutcome.DELIVERED, delivery  # the fake refuses oversize blocks
    (message,) = slack.messages
    assert "&lt;b&gt;&amp;" in message["text"]
    assert len(message["blocks"][0]["text"]["text"]) == 150


async def test_slack_429_waits_the_retry_after_it_sent_then_delivers(slack: FakeSlack, waits: Waits) -> None:
    channels = channels_for({"slack": {"url": slack.url}}, waits)
    slack.fail(429, retry_after=7)
    delivery = await channels.deliver("slack", breach())
    assert delivery.outcome is DeliveryOutcome.DELIVERED and delivery.attempts == 2
    assert 7.0 in waits.waited  # the retry waited what Slack asked
    assert [p.status for p in slack.calls.snapshot()] == [429, 200]


async def test_a_retry_after_too_long_to_wait_in_process_is_handed_back(
    slack: FakeSlack, waits: Waits
) -> None:
    channels = channels_for({"slack": {"url": slack.url}}, waits)
    slack.fail(429, retry_after=3600)
    delivery = await channels.deliver("slack", breach())
    assert delivery.outcome is DeliveryOutcome.RETRYABLE and delivery.retry_after == 3600
    assert delivery.attempts == 1 and len(slack.calls.snapshot()) == 1
    assert "429 rate_limited" in delivery.detail


async def test_5xx_is_retried_with_backoff_and_bounded(slack: FakeSlack, waits: Waits) -> None:
    channels = channels_for({"slack": {"url": slack.url}}, waits, attempts=3)
    slack.fail(500, times=5)
    delivery = await channels.deliver("slack", breach())
    assert delivery.outcome is DeliveryOutcome.RETRYABLE and delivery.attempts == 3
    assert delivery.detail == "500 rollup_error"
    assert len(slack.calls.snapshot()) == 3  # bounded: three tries, then the shell decides


async def test_slack_refusals_say_why_and_are_not_retried(slack: FakeSlack, waits: Waits) -> None:
    slack.archived = True
    channels = channels_for({"slack": {"url": slack.url}}, waits)
    delivery = await channels.deliver("slack", breach())
    assert delivery.outcome is DeliveryOutcome.REFUSED and delivery.detail == "410 channel_is_archived"
    gone = channels_for({"slack": {"url": slack.base_url + "/services/T0/B0/removed"}}, waits)
    delivery = await gone.deliver("slack", breach())
    assert delivery.outcome is DeliveryOutcome.REFUSED and delivery.detail == "404 no_service"
    assert waits.waited == [] and len(slack.calls.snapshot()) == 2


async def test_an_unreachable_webhook_is_retryable_and_never_names_its_url(waits: Waits) -> None:
    from serviceflow.fakes.server import free_port

    url = f"http://127.0.0.1:{free_port()}/services/T0/B0/secret-token"
    channels = channels_for({"slack": {"url": url}}, waits, attempts=2)
    delivery = await channels.deliver("slack", breach())
    assert delivery.outcome is DeliveryOutcome.RETRYABLE and delivery.attempts == 2
    assert "unreachable" in delivery.detail and "secret-token" not in delivery.detail


async def test_mattermost_gets_markdown_and_the_key_in_props(
    mattermost: FakeMattermost, waits: Waits
) -> None:
    channels = channels_for(
        {"mattermost:leads": {"url": mattermost.url, "channel": "support-leads", "username": "serviceflow"}},
        waits,
    )
    delivery = await channels.deliver("mattermost:leads", breach())
    assert delivery.outcome is DeliveryOutcome.DELIVERED and delivery.detail == "200 ok"
    (post,) = mattermost.accepted
    assert post["channel"] == "support-leads" and post["username"] == "serviceflow"
    assert post["text"].startswith("#### Breached: first-response on ticket 1042 (escalation level 1)")
    assert "**For:** Lee Lead, Max Manager" in post["text"]
    assert f'[Open ticket 1042 "Charged twice for order 1042"]({TICKET.url})' in post["text"]
    assert post["props"]["serviceflow_key"] == breach().key
    assert "icon_url" not in post


async def test_mattermost_5xx_then_ok(mattermost: FakeMattermost, waits: Waits) -> None:
    channels = channels_for({"mattermost": {"url": mattermost.url}}, waits)
    mattermost.fail(503, retry_after=2)
    delivery = await channels.deliver("mattermost", breach(kind=NotificationKind.WARNING, level=None))
    assert delivery.outcome is DeliveryOutcome.DELIVERED and delivery.attempts == 2 and 2.0 in waits.waited


async def test_mattermost_refuses_an_unknown_hook_with_400_and_turned_off_webhooks_with_501(
    mattermost: FakeMattermost, waits: Waits
) -> None:
    # The server's HandleIncomingWebhook: an unknown hook is 400 invalid.app_error, disabled 501.
    channels = channels_for({"mattermost": {"url": mattermost.url + "-revoked"}}, waits)
    delivery = await channels.deliver("mattermost", breach())
    assert delivery.outcome is DeliveryOutcome.REFUSED and delivery.attempts == 1
    assert delivery.detail.startswith("400 ") and "web.incoming_webhook.invalid.app_error" in delivery.detail
    channels = channels_for({"mattermost": {"url": mattermost.url}}, waits)
    mattermost.fail(501)
    delivery = await channels.deliver("mattermost", breach())
    assert delivery.outcome is DeliveryOutcome.REFUSED and delivery.attempts == 1 and not mattermost.accepted


async def test_teams_workflows_gets_an_adaptive_card_and_answers_202(teams: FakeTeams, waits: Waits) -> None:
    channels = channels_for({"teams:support": {"url": teams.url}}, waits)
    delivery = await channels.deliver("teams:support", breach())
    assert delivery.outcome is DeliveryOutcome.DELIVERED and delivery.detail == "202"
    (card,) = teams.cards
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.2"
    title, message, facts = card["body"]
    assert title["text"] == "Breached: first-response on ticket 1042 (escalation level 1)"
    assert message["text"].startswith("first-response was due")
    assert {"title": "For", "value": "Lee Lead, Max Manager"} in facts["facts"]
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open the ticket", "url": TICKET.url}]


async def test_a_legacy_teams_connector_that_hides_its_429_in_a_200_is_retried(waits: Waits) -> None:
    with FakeTeams(legacy=True) as teams:
        assert isinstance(teams, FakeTeams)
        teams.throttle_legacy()
        channels = channels_for({"teams": {"url": teams.url}}, waits)
        delivery = await channels.deliver("teams", breach(ticket=None))
        assert delivery.outcome is DeliveryOutcome.DELIVERED and delivery.attempts == 2
        assert [p.status for p in teams.calls.snapshot()] == [200, 200]
        assert "actions" not in teams.cards[0]  # no ticket, no link


async def test_a_recipient_without_a_name_is_named_by_id(slack: FakeSlack, waits: Waits) -> None:
    channels = channels_for({"slack": {"url": slack.url}}, waits)
    await channels.deliver("slack", breach(recipients=(Recipient(id="1009"),)))
    assert "*For:* 1009" in slack.messages[0]["blocks"][1]["text"]["text"]


async def test_the_pacer_spaces_posts_and_holds_for_a_retry_after() -> None:
    now = [100.0]
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)
        now[0] += seconds

    pacer = Pacer(1.0, clock=lambda: now[0], sleep=sleep)
    await pacer.wait()
    await pacer.wait()  # one second after the first
    assert waited == [1.0]
    pacer.hold(30)
    await pacer.wait()
    assert waited == [1.0, 30.0]
