"""Email over SMTP against a real SMTP server on 127.0.0.1 (aiosmtpd): plain, STARTTLS with a
login, implicit TLS; refusals by reply code, transient 4yz retried, certificates verified."""

from __future__ import annotations

from channel_support import LEE, MAX, TICKET, Waits, breach, channels_for

from serviceflow.channels import DeliveryOutcome, Recipient
from serviceflow.channels.fake.smtp import FakeSmtp


def _email(smtp: FakeSmtp, waits: Waits, **spec: object):  # type: ignore[no-untyped-def]
    settings: dict[str, object] = {
        "host": smtp.host,
        "port": smtp.port,
        "security": smtp.security,
        "from": "serviceflow <serviceflow@shop.example>",
        **spec,
    }
    if smtp.ca_file is not None:
        settings.setdefault("ca_file", str(smtp.ca_file))
    return channels_for({"email": settings}, waits)


async def test_a_breach_is_mailed_to_the_recipients_by_name(waits: Waits) -> None:
    with FakeSmtp() as smtp:
        channels = _email(smtp, waits, to=["leads@shop.example"])
        delivery = await channels.deliver("email", breach())
        assert delivery.outcome is DeliveryOutcome.DELIVERED, delivery
        assert delivery.detail == "sent to 3 address(es)"
        (mail,) = smtp.mail
    assert mail.mail_from == "serviceflow@shop.example"
    assert mail.rcpt_tos == ("lee@shop.example", "max@shop.example", "leads@shop.example")
    assert (
        mail.message["To"]
        == "Lee Lead <lee@shop.example>, Max Manager <max@shop.example>, leads@shop.example"
    )
    assert mail.subject == "[serviceflow] Breached: first-response on ticket 1042 (escalation level 1)"
    assert "For: Lee Lead, Max Manager" in mail.text and f"Open: {TICKET.url}" in mail.text
    assert 'Ticket: 1042 "Charged twice for order 1042"' in mail.text
    assert mail.message["X-Serviceflow-Key"] == breach().key
    assert mail.message["Message-ID"].endswith("@shop.example>")


async def test_the_same_notification_has_the_same_message_id(waits: Waits) -> None:
    with FakeSmtp() as smtp:
        channels = _email(smtp, waits)
        await channels.deliver("email", breach())
        await channels.deliver("email", breach())
        await channels.deliver("email", breach(key="another"))
        ids = [m.message["Message-ID"] for m in smtp.wait_for_mail(3)]
    assert ids[0] == ids[1] != ids[2]


async def test_starttls_with_a_login(waits: Waits) -> None:
    with FakeSmtp(security="starttls", users={"serviceflow": "s3cret"}) as smtp:
        channels = _email(smtp, waits, username="serviceflow", password="s3cret")
        delivery = await channels.deliver("email", breach())
        assert delivery.outcome is DeliveryOutcome.DELIVERED, delivery
        assert smtp.mail[0].login == "serviceflow"
        wrong = _email(smtp, waits, username="serviceflow", password="wrong")
        refused = await wrong.deliver("email", breach())
        assert refused.outcome is DeliveryOutcome.REFUSED and refused.detail.startswith("login refused: 535")
        assert len(smtp.mail) == 1


async def test_implicit_tls(waits: Waits) -> None:
    with FakeSmtp(security="ssl", users={"serviceflow": "s3cret"}) as smtp:
        channels = _email(smtp, waits, username="serviceflow", password="s3cret")
        assert (await channels.deliver("email", breach())).outcome is DeliveryOutcome.DELIVERED
        assert [m.login for m in smtp.mail] == ["serviceflow"]


async def test_a_certificate_that_cannot_be_verified_is_refused_not_ignored(waits: Waits) -> None:
    with FakeSmtp(security="starttls") as smtp:
        channels = channels_for(
            {"email": {"host": smtp.host, "port": smtp.port, "from": "sf@shop.example"}}, waits
        )  # no ca_file: the fake's CA is unknown
        delivery = await channels.deliver("email", breach())
        assert delivery.outcome is DeliveryOutcome.REFUSED and "set ca_file" in delivery.detail
        assert smtp.mail == []


async def test_starttls_is_never_skipped_when_the_server_does_not_offer_it(waits: Waits) -> None:
    with FakeSmtp(security="none") as smtp:
        channels = channels_for(
            {
                "email": {
                    "host": smtp.host,
                    "port": smtp.port,
                    "from": "sf@shop.example",
                    "security": "starttls",
                }
            },
            waits,
        )
        delivery = await channels.deliver("email", breach())
        assert delivery.outcome is DeliveryOutcome.REFUSED and "does not support" in delivery.detail
        assert smtp.mail == []


async def test_recipients_refused_by_code(waits: Waits) -> None:
    with FakeSmtp(refuse={"max@shop.example": (550, "5.1.1 No such user")}) as smtp:
        channels = _email(smtp, waits)
        partly = await channels.deliver("email", breach())
        assert partly.outcome is DeliveryOutcome.DELIVERED
        assert partly.detail == "sent to 1 address(es); refused: max@shop.example (550 5.1.1 No such user)"
        assert smtp.mail[0].rcpt_tos == ("lee@shop.example",)
        nobody = await channels.deliver("email", breach(recipients=(MAX,)))
        assert nobody.outcome is DeliveryOutcome.REFUSED and "every recipient refused" in nobody.detail
    with FakeSmtp(refuse={"lee@shop.example": (450, "4.2.0 Mailbox busy")}) as smtp:
        busy = await _email(smtp, waits).deliver("email", breach(recipients=(LEE,)))
        assert busy.outcome is DeliveryOutcome.RETRYABLE


async def test_a_transient_failure_is_retried_and_then_delivered(waits: Waits) -> None:
    with FakeSmtp() as smtp:
        smtp.fail_next(451, "4.3.0 Try again later")
        delivery = await _email(smtp, waits).deliver("email", breach())
        assert delivery.outcome is DeliveryOutcome.DELIVERED and delivery.attempts == 2
        smtp.fail_next(554, "5.7.1 Rejected", times=3)
        rejected = await _email(smtp, waits).deliver("email", breach())
        assert rejected.outcome is DeliveryOutcome.REFUSED and rejected.detail == "554 5.7.1 Rejected"
        assert rejected.attempts == 1


async def test_people_without_an_address_are_named(waits: Waits) -> None:
    with FakeSmtp() as smtp:
        channels = _email(smtp, waits)
        nameless = breach(recipients=(Recipient(id="1009", name="Nia New"), LEE))
        delivery = await channels.deliver("email", nameless)
        assert delivery.detail == "sent to 1 address(es); no email address in the roster for Nia New"
        nobody = await channels.deliver("email", breach(recipients=(Recipient(id="1009", name="Nia New"),)))
        assert nobody.outcome is DeliveryOutcome.REFUSED
        assert nobody.detail == "no email address in the roster for Nia New"
        assert len(smtp.mail) == 1


async def test_an_smtp_server_that_is_down_is_retryable(waits: Waits) -> None:
    from serviceflow.fakes.server import free_port

    channels = channels_for(
        {"email": {"host": "127.0.0.1", "port": free_port(), "security": "none", "from": "sf@shop.example"}},
        waits,
        attempts=2,
    )
    delivery = await channels.deliver("email", breach())
    assert delivery.outcome is DeliveryOutcome.RETRYABLE and delivery.attempts == 2
    assert "ConnectionRefusedError" in delivery.detail
