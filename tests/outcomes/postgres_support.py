"""A real PostgreSQL server for the store's tests: initdb in a temporary folder, on a free port
of 127.0.0.1, stopped at the end. As root it runs as the ``postgres`` user (the server refuses
root). Skipped, naming the Debian package, where PostgreSQL is not installed."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

SKIP = "PostgreSQL is not installed (Debian package: postgresql); the PostgreSQL store test is skipped"


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield the URL of a fresh database on a server of our own."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip(SKIP)
    root = os.geteuid() == 0
    as_user: list[str] = []
    if root:
        if shutil.which("runuser") is None:
            pytest.skip("running PostgreSQL as root needs runuser (util-linux) to drop to the postgres user")
        try:
            import pwd

            account = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("no postgres user to run the server as (Debian package: postgresql)")
        as_user = ["runuser", "-u", "postgres", "--"]
    folder = Path(tempfile.mkdtemp(prefix="serviceflow-pg-", dir="/tmp"))
    if root:
        os.chown(folder, account.pw_uid, account.pw_gid)
    data = folder / "data"
    port = _free_port()
    run = {"check": True, "capture_output": True, "timeout": 120}
    subprocess.run(
        [*as_user, initdb, "-D", str(data), "-A", "trust", "-U", "serviceflow", "-E", "UTF8"], **run
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    log = folder / "server.log"
    subprocess.run(
        [*as_user, pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start"], **run
    )
    try:
        yield f"postgresql://serviceflow@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "-t", "60", "stop"], **run
        )
        shutil.rmtree(folder, ignore_errors=True)
