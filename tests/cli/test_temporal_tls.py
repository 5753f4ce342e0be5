"""Temporal TLS settings that cannot work say which setting and why, from the real CLI in a
subprocess (attack14 F8). Before:

- a client certificate without its key (or the key alone) was "serviceflow failed unexpectedly:
  ValueError: Must have both client cert and private key or neither (a bug: please report it)",
  and the key alone was silently ignored when no CA was set;
- a key or certificate file that is not PEM, and TLS to a server that speaks plain text, were
  "cannot reach Temporal at ... (Failed client connect: Server connection error:
  tonic::transport::Error(Transport, PrivateKeyParseError)); is it running?".
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest
import trustme
from lab_support import cli, without_settings


def _run(tmp_path: Path, *arguments: str, address: str = "127.0.0.1:1") -> subprocess.CompletedProcess[str]:
    env = without_settings() | {"SERVICEFLOW_TEMPORAL_ADDRESS": address}
    return cli("case", "list", *arguments, env=env, cwd=tmp_path)


def _files(tmp_path: Path) -> None:
    """A CA, a client certificate it issued (cert.pem) with its key (key.pem), and a text file."""
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    issued = ca.issue_cert("serviceflow-test")
    issued.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    issued.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    (tmp_path / "notes.txt").write_text("not a PEM file\n")


@pytest.mark.parametrize(
    ("given", "said"),
    [
        (
            ["--temporal-tls-cert", "cert.pem"],
            "error: SERVICEFLOW_TEMPORAL_TLS_CERT is set without SERVICEFLOW_TEMPORAL_TLS_KEY: mTLS needs "
            "the client certificate and its private key; set both (--temporal-tls-cert, --temporal-tls-key), "
            "or neither",
        ),
        (
            ["--temporal-tls-key", "notes.txt"],
            "error: SERVICEFLOW_TEMPORAL_TLS_KEY is set without SERVICEFLOW_TEMPORAL_TLS_CERT: mTLS needs "
            "the client certificate and its private key; set both (--temporal-tls-cert, --temporal-tls-key), "
            "or neither",
        ),
        (
            ["--temporal-tls-cert", "cert.pem", "--temporal-tls-key", "notes.txt"],
            "error: SERVICEFLOW_TEMPORAL_TLS_KEY: not a PEM private key (-----BEGIN PRIVATE KEY-----); "
            "give the private key of SERVICEFLOW_TEMPORAL_TLS_CERT",
        ),
        (
            ["--temporal-tls-cert", "notes.txt", "--temporal-tls-key", "notes.txt"],
            "error: SERVICEFLOW_TEMPORAL_TLS_KEY: not a PEM private key (-----BEGIN PRIVATE KEY-----); "
            "give the private key of SERVICEFLOW_TEMPORAL_TLS_CERT",
        ),
    ],
    ids=["cert alone", "key alone", "key not PEM", "neither PEM"],
)
def test_client_tls_files_that_cannot_work_name_the_setting(
    tmp_path: Path, given: list[str], said: str
) -> None:
    _files(tmp_path)
    done = _run(tmp_path, *given)
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert done.stderr.strip().splitlines() == [said]


async def test_tls_to_a_server_that_speaks_plain_text_says_so(tmp_path: Path) -> None:
    async def plain(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1)  # the ClientHello's first byte
        writer.write(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(plain, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    _files(tmp_path)
    try:
        done = await asyncio.to_thread(
            _run, tmp_path, "--temporal-tls-ca", "ca.pem", address=f"127.0.0.1:{port}"
        )
    finally:
        server.close()
    assert done.returncode == 3, (done.returncode, done.stderr)
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(
        f"error: cannot reach Temporal at 127.0.0.1:{port} (it answered TLS in plain text: no TLS is "
        "spoken there; TLS is on because SERVICEFLOW_TEMPORAL_TLS_* or SERVICEFLOW_TEMPORAL_API_KEY is set)"
    ), line
    assert "tonic" not in line
