"""Where errors meet a person: one clear line on stderr and an exit code, never a traceback.

Exit codes of every command that talks to Temporal:

- 0: done;
- 1: the command could not do what was asked (an unknown case, a case no worker answers for,
  a broken policy set, a helpdesk that refused);
- 2: a usage error: a bad option or an invalid ``SERVICEFLOW_*`` setting;
- 3: Temporal cannot be reached at the configured address.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import sys
from collections.abc import Coroutine
from typing import Any, NoReturn

import typer
from rich.console import Console
from temporalio.service import RPCError, RPCStatusCode

from serviceflow.errors import PolicySetError, ServiceflowError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3

CONNECT_TIMEOUT_SECONDS = 10.0

errors = Console(stderr=True, soft_wrap=True, markup=False, emoji=False, highlight=False)


class CliError(ServiceflowError):
    """An error the CLI reports as it is: ``message`` on one line, and ``code`` as exit status."""

    def __init__(self, message: str, *, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


class TemporalUnreachable(CliError):
    """The Temporal frontend does not answer at the configured address."""

    def __init__(self, address: str, reason: str) -> None:
        super().__init__(
            f"cannot reach Temporal at {address} ({reason}); is it running? "
            "Start one with `serviceflow dev`, or point SERVICEFLOW_TEMPORAL_ADDRESS (--address) at yours",
            code=EXIT_UNREACHABLE,
        )


_TLS_FILES = (
    (
        "PrivateKeyParseError",
        "SERVICEFLOW_TEMPORAL_TLS_KEY: not a PEM private key (-----BEGIN PRIVATE KEY-----); give the "
        "private key of SERVICEFLOW_TEMPORAL_TLS_CERT",
    ),
    (
        "NoCertificatesPresented",
        "SERVICEFLOW_TEMPORAL_TLS_CERT: no PEM certificate (-----BEGIN CERTIFICATE-----) in it; give "
        "the client certificate",
    ),
)


def connect_reason(exc: BaseException) -> str:
    """The short cause inside the SDK's connection error ("Connection refused", a DNS failure)."""
    text = str(exc)
    if "InvalidContentType" in text:  # rustls: the answer to its ClientHello was no TLS record
        return (
            "it answered TLS in plain text: no TLS is spoken there; TLS is on because "
            "SERVICEFLOW_TEMPORAL_TLS_* or SERVICEFLOW_TEMPORAL_API_KEY is set"
        )
    found = re.search(r'message: "([^"]+)"', text)
    if found:
        return found.group(1)
    if "dns error" in text.lower() or "failed to lookup" in text.lower():
        return "the host name does not resolve"
    if isinstance(exc, TimeoutError):
        return f"no answer within {CONNECT_TIMEOUT_SECONDS:.0f} s"
    return text.splitlines()[0][:200] if text else type(exc).__name__


def explain(exc: BaseException, address: str) -> CliError | None:
    """The person-facing form of an error from Temporal or serviceflow; None if it is a bug."""
    if isinstance(exc, CliError):
        return exc
    if isinstance(exc, PolicySetError):
        lines = [
            f"{p.location}: {p.rule}: {p.message}" if p.location.file else p.message for p in exc.problems
        ]
        return CliError("\n".join([*lines, "error: the policy set is broken"]), code=EXIT_FAILED)
    if isinstance(exc, ServiceflowError):
        return CliError(str(exc))
    if isinstance(exc, RPCError):
        if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
            return TemporalUnreachable(address, exc.message or exc.status.name.lower())
        if exc.status == RPCStatusCode.NOT_FOUND:
            return CliError(f"Temporal has no such thing: {exc.message}")
        return CliError(f"Temporal refused: {exc.message} ({exc.status.name})")
    if isinstance(exc, TimeoutError):
        return TemporalUnreachable(address, connect_reason(exc))
    if (refused := setting_refused(exc)) is not None:
        return refused
    if isinstance(exc, RuntimeError) and "connect" in str(exc).lower():
        for marker, problem in _TLS_FILES:  # the SDK's words for a client TLS file it cannot use
            if marker in str(exc):
                return CliError(problem, code=EXIT_USAGE)
        return TemporalUnreachable(address, connect_reason(exc))
    return None


def setting_refused(exc: BaseException) -> CliError | None:
    """A plugin's settings class refusing a ``SERVICEFLOW_*`` value, as a usage error naming it."""
    if not isinstance(exc, ValueError):  # pydantic's ValidationError and SettingsError are
        return None
    from serviceflow.cli.settings_catalog import setting_problems

    problems = setting_problems(exc)
    return CliError("\n".join(problems), code=EXIT_USAGE) if problems else None


def ensure_free(host: str, port: int | None, what: str) -> None:
    """Fail with one line, before anything starts, when ``host:port`` cannot be listened on.

    Raises:
        CliError: the port is taken or not ours to use.
    """
    if port is None:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CliError(
                f"cannot listen on {host}:{port} for {what}: {exc.strerror or exc}", code=EXIT_USAGE
            ) from None


def fail(error: CliError) -> NoReturn:
    """Print the error (one line; a broken policy set names each problem first) and leave."""
    lines = str(error).splitlines() or ["failed"]
    if len(lines) == 1 and not lines[0].startswith("error:"):
        lines = [f"error: {lines[0]}"]
    for line in lines:
        errors.print(line, markup=False)
    leave(error.code)


def run(coroutine: Coroutine[Any, Any, None], *, address: str) -> NoReturn:
    """Run a command's coroutine; report what goes wrong in one line, then leave."""
    try:
        asyncio.run(coroutine)
    except KeyboardInterrupt:
        leave(130)
    except Exception as exc:
        fail(explain(exc, address) or unexpected(exc))
    leave(EXIT_OK)


def unexpected(exc: BaseException) -> CliError:
    """A failure nobody foresaw (a bug): one line too; the traceback goes to the debug log."""
    logging.getLogger("serviceflow.cli").debug("unexpected failure", exc_info=exc)
    return CliError(
        f"serviceflow failed unexpectedly: {type(exc).__name__}: {exc} (a bug: please report it; "
        "SERVICEFLOW_LOG_LEVEL=DEBUG shows where)"
    )


def leave(code: int) -> NoReturn:
    """Leave without the interpreter-exit crash of short Temporal processes (sdk-python #300).

    In a real process that is ``os._exit`` after flushing. Inside typer's ``CliRunner`` (which
    swaps ``sys.stdout``) it is ``typer.Exit``, so the test process lives on.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    if sys.stdout is not sys.__stdout__:
        raise typer.Exit(code)
    os._exit(code)
