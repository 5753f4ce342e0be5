"""Email over SMTP, to the recipients' addresses in the roster (and any fixed ones).

The standard library's :mod:`smtplib` and :mod:`email` do the work, in a thread so the event
loop never waits on a mail server; every socket operation is bounded by ``timeout``.

- Security: ``starttls`` (port 587 by default; STARTTLS is required, never skipped when the
  server does not offer it), ``ssl`` (implicit TLS, port 465) or ``none`` (port 25, for a relay
  on the same host; a login is refused without TLS, since it would send the password in clear).
  Certificates are verified, against ``ca_file`` when the server's CA is private.
- Answers, by the reply code (RFC 5321 section 4.2.1): ``4yz`` is a transient failure (retried),
  ``5yz`` a permanent one (refused: a bad login, a sender or every recipient refused). Some
  recipients refused while others were accepted is delivered, and the detail names who was not.
- Idempotency: SMTP has none; each message's ``Message-ID`` is derived from the action's key, so
  a repeated delivery carries the same id (mail systems that de-duplicate on it show one), and
  ``X-Serviceflow-Key`` names the key.
"""

from __future__ import annotations

import asyncio
import hashlib
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from serviceflow.channels import texts
from serviceflow.channels.model import Delivery, DeliveryOutcome, Notification
from serviceflow.channels.protocol import ChannelSpec, ChannelType

DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


def valid_address(value: str) -> bool:
    """A bare address fit for an envelope: one ``@``, no spaces or line breaks, RFC 5321's 254."""
    _, address = parseaddr(value)
    return (
        bool(address)
        and address == value.strip()
        and address.count("@") == 1
        and not any(c.isspace() for c in address)
        and len(address) <= 254
        and all(address.split("@"))
    )


class EmailSpec(ChannelSpec):
    """``{"host": "smtp.example.com", "from": "serviceflow@example.com", ...}``."""

    host: str = Field(min_length=1, max_length=253, description="The SMTP server.")
    port: int | None = Field(default=None, ge=1, le=65_535, description="Default by security.")
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = Field(default=None, max_length=320)
    password: SecretStr | None = None
    from_: str = Field(alias="from", description="The sender address (Name <address> allowed).")
    to: tuple[str, ...] = Field(default=(), max_length=50, description="Addresses always sent to.")
    to_recipients: bool = Field(default=True, description="Also send to each recipient's roster email.")
    subject_prefix: str = Field(default="[serviceflow] ", max_length=50)
    ca_file: Path | None = Field(default=None, description="The CA bundle of a private server certificate.")
    timeout: float = Field(default=30.0, gt=0, le=300, description="Seconds for each SMTP step.")

    @field_validator("host")
    @classmethod
    def _hostname(cls, value: str) -> str:
        if not all(c.isascii() and (c.isalnum() or c in ".-_:[]") for c in value):
            raise ValueError("must be a host name or an IP address")
        return value

    @field_validator("from_")
    @classmethod
    def _sender(cls, value: str) -> str:
        if "\r" in value or "\n" in value or not valid_address(parseaddr(value)[1]):
            raise ValueError("must be an email address, optionally as 'Name <address>'")
        return value

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [a for a in value if not valid_address(a)]
        if bad:
            raise ValueError(f"not an email address: {', '.join(map(repr, bad[:3]))}")
        return value

    @field_validator("subject_prefix")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\r" in value or "\n" in value:
            raise ValueError("must be one line")
        return value

    @model_validator(mode="after")
    def _login(self) -> EmailSpec:
        if (self.username is None) != (self.password is None):
            raise ValueError("give both username and password, or neither")
        if self.username is not None and self.security == "none":
            raise ValueError(
                "a login needs security 'starttls' or 'ssl': without TLS the password goes in clear"
            )
        if not self.to and not self.to_recipients:
            raise ValueError("with to_recipients false, 'to' must name at least one address")
        return self

    @property
    def sender(self) -> str:
        return parseaddr(self.from_)[1]


class EmailChannel:
    """Sends each notification as one plain-text message."""

    def __init__(self, name: str, spec: EmailSpec) -> None:
        self._name = name
        self.spec = spec

    @property
    def name(self) -> str:
        return self._name

    async def aclose(self) -> None:
        """Nothing to release: each delivery opens and closes its own connection."""

    def addresses(self, notification: Notification) -> tuple[list[str], list[str]]:
        """(addresses to send to, people who have no usable address)."""
        found: list[str] = []
        missing: list[str] = []
        if self.spec.to_recipients:
            for person in notification.recipients:
                if person.email and valid_address(person.email):
                    found.append(person.email)
                else:
                    missing.append(person.display)
        found.extend(self.spec.to)
        return list(dict.fromkeys(found)), missing

    def message(self, notification: Notification, addresses: list[str]) -> EmailMessage:
        by_address = {r.email: r.name for r in notification.recipients if r.email}
        message = EmailMessage()
        message["From"] = self.spec.from_
        message["To"] = ", ".join(formataddr((by_address.get(a) or "", a)) for a in addresses)
        subject = " ".join(texts.title(notification).split())
        message["Subject"] = texts.cut(self.spec.subject_prefix + subject, 900)
        message["Date"] = formatdate(usegmt=True)
        digest = hashlib.sha256(f"{self.name}\n{notification.key}".encode()).hexdigest()[:40]
        message["Message-ID"] = f"<{digest}@{self.spec.sender.split('@')[1]}>"
        message["X-Serviceflow-Case"] = " ".join(notification.case_id.split())
        message["X-Serviceflow-Key"] = " ".join(notification.key.split())
        message.set_content(texts.plain(notification))
        return message

    async def send(self, notification: Notification) -> Delivery:
        addresses, missing = self.addresses(notification)
        no_address = f"no email address in the roster for {', '.join(missing)}" if missing else ""
        if not addresses:
            return self._result(notification, DeliveryOutcome.REFUSED, no_address or "no one to send it to")
        try:
            refused = await asyncio.to_thread(self._send, self.message(notification, addresses), addresses)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = {code for code, _ in exc.recipients.values()}
            outcome = (
                DeliveryOutcome.RETRYABLE if all(400 <= c < 500 for c in codes) else DeliveryOutcome.REFUSED
            )
            return self._result(
                notification, outcome, f"every recipient refused: {_refusals(exc.recipients)}"
            )
        except smtplib.SMTPAuthenticationError as exc:
            return self._result(notification, _by_code(exc.smtp_code), f"login refused: {_reply(exc)}")
        except smtplib.SMTPNotSupportedError as exc:
            return self._result(
                notification, DeliveryOutcome.REFUSED, f"the server does not support it: {exc}"
            )
        except smtplib.SMTPResponseException as exc:
            return self._result(notification, _by_code(exc.smtp_code), _reply(exc))
        except ssl.SSLCertVerificationError as exc:
            detail = f"the server's certificate cannot be verified ({exc.verify_message}); set ca_file"
            return self._result(notification, DeliveryOutcome.REFUSED, detail)
        except (smtplib.SMTPException, OSError) as exc:  # disconnects, timeouts, refused connections
            return self._result(notification, DeliveryOutcome.RETRYABLE, f"{type(exc).__name__}: {exc}")
        notes = [n for n in (no_address, f"refused: {_refusals(refused)}" if refused else "") if n]
        sent = f"sent to {len(addresses) - len(refused)} address(es)"
        return self._result(notification, DeliveryOutcome.DELIVERED, "; ".join([sent, *notes]))

    def _send(self, message: EmailMessage, addresses: list[str]) -> dict[str, tuple[int, bytes]]:
        spec = self.spec
        port = spec.port or DEFAULT_PORTS[spec.security]
        context = ssl.create_default_context(cafile=spec.ca_file)
        smtp: smtplib.SMTP
        if spec.security == "ssl":
            smtp = smtplib.SMTP_SSL(spec.host, port, timeout=spec.timeout, context=context)
        else:
            smtp = smtplib.SMTP(spec.host, port, timeout=spec.timeout)
        with smtp:
            smtp.ehlo()
            if spec.security == "starttls":
                smtp.starttls(context=context)  # SMTPNotSupportedError when not offered: no fallback
                smtp.ehlo()
            if spec.username is not None and spec.password is not None:
                smtp.login(spec.username, spec.password.get_secret_value())
            return smtp.send_message(message, from_addr=spec.sender, to_addrs=addresses)

    def _result(self, notification: Notification, outcome: DeliveryOutcome, detail: str) -> Delivery:
        return Delivery(channel=self.name, key=notification.key, outcome=outcome, detail=detail)


def _by_code(code: int) -> DeliveryOutcome:
    return DeliveryOutcome.RETRYABLE if 400 <= code < 500 else DeliveryOutcome.REFUSED


def _reply(exc: smtplib.SMTPResponseException) -> str:
    said = (
        exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    )
    return f"{exc.smtp_code} {' '.join(said.split())}"


def _refusals(refused: dict[str, tuple[int, bytes]]) -> str:
    return ", ".join(
        f"{a} ({code} {' '.join(m.decode(errors='replace').split())})" for a, (code, m) in refused.items()
    )


def _build(name: str, spec: ChannelSpec) -> EmailChannel:
    assert isinstance(spec, EmailSpec)
    return EmailChannel(name, spec)


EMAIL = ChannelType(kind="email", spec=EmailSpec, build=_build, description="Email over SMTP")
