"""Reading policy files: regular files only, bounded in size, UTF-8 text without NUL.

``policy validate``, ``policy test`` and the worker's hot reload all read through
:func:`read_policy_file`, so each of them answers a bad entry in a policy folder with one
``file: problem`` line and goes on: a directory or a broken symbolic link named ``x.yaml``, a
link to ``/dev/zero``, a FIFO (opened without blocking, so it never hangs), a file over
:data:`MAX_FILE_BYTES`, bytes that are not UTF-8, or characters YAML does not allow (NUL and
other control characters). The bounds of the YAML itself (aliases, nesting) are in
:mod:`serviceflow.policy.yaml_source`.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from pathlib import Path

from serviceflow.errors import PolicyError, SourceLocation

MAX_FILE_BYTES = 1024 * 1024  # a policy file is a page or two of YAML; a megabyte is plenty

# What YAML 1.1 does not allow in a stream (PyYAML's Reader.NON_PRINTABLE): C0 controls other
# than tab, line feed and carriage return, DEL, C1 controls other than NEL, and surrogates.
_NOT_YAML = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def read_policy_file(path: Path) -> tuple[bytes, str]:
    """The file's bytes and its text.

    Raises:
        PolicyError: at ``file`` (and the line and column where it applies), rule ``file``.
    """
    where = SourceLocation(str(path))
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        problem = "a broken symbolic link" if path.is_symlink() else "no such file"
        raise PolicyError(problem, location=where, rule="file") from None
    except OSError as exc:
        raise PolicyError(f"cannot be read ({exc.strerror})", location=where, rule="file") from None
    try:
        info = os.fstat(descriptor)
        kind = _kind(info.st_mode)
        if kind is not None:
            raise PolicyError(
                f"{kind}, not a policy file; only regular files are read", location=where, rule="file"
            )
        if info.st_size > MAX_FILE_BYTES:
            raise PolicyError(_too_large(info.st_size), location=where, rule="file")
        try:
            raw = _read_at_most(descriptor, MAX_FILE_BYTES + 1)
        except OSError as exc:  # opened, then refused on reading (EIO of /proc/self/mem, a device gone)
            raise PolicyError(f"cannot be read ({exc.strerror})", location=where, rule="file") from None
    finally:
        os.close(descriptor)
    if len(raw) > MAX_FILE_BYTES:  # it grew while being read
        raise PolicyError(_too_large(len(raw)), location=where, rule="file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise PolicyError(
            f"not UTF-8 text ({exc.reason} at byte {exc.start})",
            location=SourceLocation(str(path), line, exc.start - raw.rfind(b"\n", 0, exc.start)),
            rule="file",
        ) from None
    found = _NOT_YAML.search(text)
    if found is not None:
        line = text.count("\n", 0, found.start()) + 1
        column = found.start() - text.rfind("\n", 0, found.start())
        raise PolicyError(
            f"character {ord(found.group()):#06x} is not allowed in YAML (NUL or another control character)",
            location=SourceLocation(str(path), line, column),
            rule="file",
        )
    return raw, text


def fingerprint(path: Path) -> tuple[str, int, int]:
    """What tells a file changed (path, ctime, size), for the hot reload; never raises. The
    inode's change time, not the mtime: a tool may set the mtime back (a reproducible tarball, a
    ``cp -p`` or ``rsync -a`` of one), and no program can set the ctime (``utime`` moves it too)."""
    try:
        info = os.stat(path)
    except OSError:
        return (str(path), -1, -1)
    return (str(path), info.st_ctime_ns, info.st_size)


def folders(paths: Sequence[Path]) -> list[Path]:
    """Every folder under ``paths`` (themselves included), hidden ones and those reached through a
    symbolic link too, each once: more than discovery reads, never less, so that a file added to
    or removed from any folder discovery reads changes one of these folders' mtimes. Never raises."""
    found: dict[str, Path] = {}
    stack = [p for p in paths if p.is_dir()]
    while stack:
        folder = stack.pop()
        real = os.path.realpath(folder)
        if real in found:
            continue
        found[real] = folder
        try:
            with os.scandir(folder) as entries:
                stack.extend(Path(e.path) for e in entries if _is_dir(e))
        except OSError:
            continue
    return list(found.values())


def folder_stamp(folder: Path) -> tuple[str, int, int]:
    """What tells a folder's entries changed (path, inode, ctime): an entry added, removed or
    renamed moves the folder's change time, which no tool can set back as it can the mtime (an
    extracted release with fixed directory mtimes, review of durable7); never raises."""
    try:
        info = os.stat(folder)
    except OSError:
        return (str(folder), -1, -1)
    return (str(folder), info.st_ino, info.st_ctime_ns)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()  # through a symbolic link too
    except OSError:
        return False


def _kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _too_large(size: int) -> str:
    return f"{size} bytes, over the {MAX_FILE_BYTES} a policy file may have"


def _read_at_most(descriptor: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        chunk = os.read(descriptor, min(left, 65536))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
