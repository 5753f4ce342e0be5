"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps the mail it takes.

Plain, STARTTLS or implicit TLS, with a login when ``users`` are given (only over TLS, as
aiosmtpd requires by default), recipients it refuses with a given reply, and transient failures
queued for the next messages. Its TLS certificate comes from a throwaway CA (``trustme``); point
the email channel's ``ca_file`` at :attr:`FakeSmtp.ca_file`. ``aiosmtpd`` and ``trustme`` are
test dependencies (``pip install 'serviceflow[test]'``).
"""

from __future__ import annotations

import email
import email.policy
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from serviceflow.fakes.server import free_port


@dataclass(frozen=True)
class Mail:
    """One message the server took."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    login: str | None

    @property
    def subject(self) -> str:
        return str(self.message["Subject"]).strip()  # folded headers unfold with their leading space

    @property
    def text(self) -> str:
        body = self.message.get_body(("plain",))
        return str(body.get_content()) if body is not None else ""


class FakeSmtp:
    def __init__(
        self,
        *,
        security: Literal["none", "starttls", "ssl"] = "none",
        users: Mapping[str, str] | None = None,
        refuse: Mapping[str, tuple[int, str]] | None = None,
    ) -> None:
        self.security = security
        self.users = dict(users or {})
        self.refuse = dict(refuse or {})
        self._mail: list[Mail] = []
        self._cond = threading.Condition()
        self._transient: list[tuple[int, str]] = []
        self._tmp = tempfile.TemporaryDirectory(prefix="fake-smtp-")
        self.ca_file: Path | None = None
        self.port = free_port()
        self.host = "127.0.0.1"
        self._controller: Controller | None = None

    def start(self) -> FakeSmtp:
        kwargs: dict[str, Any] = {"ready_timeout": 30.0}
        if self.security != "none":
            import trustme

            ca = trustme.CA()
            self.ca_file = Path(self._tmp.name) / "ca.pem"
            ca.cert_pem.write_to_path(str(self.ca_file))
            import ssl

            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ca.issue_cert(self.host).configure_cert(context)
            if self.security == "ssl":
                kwargs["ssl_context"] = context
                kwargs["auth_require_tls"] = False  # aiosmtpd counts only STARTTLS as TLS; this is TLS
            else:
                kwargs["tls_context"] = context
                kwargs["require_starttls"] = True
        if self.users:
            kwargs["authenticator"] = self._authenticate
            # aiosmtpd warns when AUTH is required without its TLS; under implicit TLS it is
            # offered (and checked) but not required
            kwargs["auth_required"] = self.security != "ssl"
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port, **kwargs)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        self._tmp.cleanup()

    def __enter__(self) -> FakeSmtp:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def fail_next(self, code: int = 451, text: str = "4.3.0 Try again later", *, times: int = 1) -> None:
        """Answer the next ``times`` messages' DATA with ``code text`` (a 4yz is transient)."""
        with self._cond:
            self._transient.extend([(code, text)] * times)

    @property
    def mail(self) -> list[Mail]:
        with self._cond:
            return list(self._mail)

    def wait_for_mail(self, count: int, timeout: float = 10.0) -> list[Mail]:
        """Every message so far once there are ``count``; bounded by ``timeout`` seconds.

        Raises:
            TimeoutError: fewer arrived in time.
        """
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._mail) >= count, timeout):
                raise TimeoutError(f"{count} message(s) did not arrive within {timeout}s")
            return list(self._mail)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            login, password = auth_data.login.decode(), auth_data.password.decode()
            if self.users.get(login) == password:
                return AuthResult(success=True, auth_data=login)
        return AuthResult(success=False, handled=False)

    def _take_transient(self) -> tuple[int, str] | None:
        with self._cond:
            return self._transient.pop(0) if self._transient else None

    def _keep(self, mail: Mail) -> None:
        with self._cond:
            self._mail.append(mail)
            self._cond.notify_all()


class _Handler:
    def __init__(self, fake: FakeSmtp) -> None:
        self.fake = fake

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        refused = self.fake.refuse.get(address)
        if refused is not None:
            return f"{refused[0]} {refused[1]}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        transient = self.fake._take_transient()
        if transient is not None:
            return f"{transient[0]} {transient[1]}"
        content = envelope.original_content or b""
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        login = session.auth_data if isinstance(session.auth_data, str) else None
        self.fake._keep(
            Mail(
                mail_from=str(envelope.mail_from),
                rcpt_tos=tuple(envelope.rcpt_tos),
                message=message,
                login=login,
            )
        )
        return "250 Message accepted for delivery"
