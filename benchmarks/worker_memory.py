"""What bench_durable's worker process holds, and what its collector does (durable_worker.py).

- ``rss_kib``: the resident set (``VmRSS``), what "memory per open case" is counted in;
- ``malloc_kib``: glibc's malloc (mallinfo2(3), every arena: in use, free inside the arenas; the
  arenas, from malloc_info(3)), pymalloc's (Python's blocks of up to 512 bytes, in arenas it maps
  itself, outside malloc: sys._debugmallocstats), and under tracemalloc Python's whole heap and
  tracemalloc's own, so that malloc's share which is not Python's (the SDK's Rust core, protobuf, C
  libraries) can be told apart;
- ``trimmed``: malloc_trim(3) once (``SERVICEFLOW_BENCH_TRIM=1``): what trimming could give at best;
- ``Collector``: the cyclic collector's collections and CPU by generation (gc.callbacks).

temporalio's bridge (sdk-core through pyo3) sets no ``#[global_allocator]`` (its
``temporalio/bridge/Cargo.toml`` and ``src/lib.rs``, temporalio 1.35; its shared object imports
``malloc@GLIBC_2.2.5``), so the Rust core allocates with glibc's malloc, in its threads' arenas.
"""

from __future__ import annotations

import ctypes
import gc
import os
import sys
import tempfile
import time
from collections import Counter
from typing import Any

#: glibc's ``<malloc.h>``: ``#define M_ARENA_MAX -8`` (mallopt(3); the same as ``MALLOC_ARENA_MAX``).
M_ARENA_MAX = -8


SMALL = 512  # pymalloc's largest block (Objects/obmalloc.c SMALL_REQUEST_THRESHOLD); larger: malloc


def glibc() -> ctypes.CDLL | None:
    """This process's C library when it is glibc (it alone exports ``gnu_get_libc_version``)."""
    try:
        libc = ctypes.CDLL(None)  # the symbols already loaded into this process
    except (OSError, TypeError):  # Windows: no dlopen(NULL)
        return None
    return libc if hasattr(libc, "gnu_get_libc_version") and hasattr(libc, "mallinfo2") else None


def limit_arenas(arenas: int) -> None:
    """mallopt(M_ARENA_MAX, arenas) (``SERVICEFLOW_BENCH_ARENAS``), before the SDK's threads exist:
    a thread keeps the arena it has. mallopt(3): "On success, mallopt() returns 1"."""
    libc = glibc()
    if libc is None or libc.mallopt(ctypes.c_int(M_ARENA_MAX), ctypes.c_int(arenas)) != 1:
        raise RuntimeError(f"mallopt(M_ARENA_MAX, {arenas}) failed (glibc only)")


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def heaps(libc: ctypes.CDLL) -> int:
    """glibc's arenas now: malloc_info(3)'s ``<heap nr=...>`` elements, the main arena's included."""
    text, size = ctypes.c_char_p(), ctypes.c_size_t()
    libc.open_memstream.restype = ctypes.c_void_p  # a FILE * (open_memstream(3))
    stream = ctypes.c_void_p(libc.open_memstream(ctypes.byref(text), ctypes.byref(size)))
    try:
        libc.malloc_info(0, stream)
    finally:
        libc.fclose(stream)  # sets text and size
    try:
        return ctypes.string_at(text, size.value).count(b"<heap nr=")
    finally:
        libc.free(text)


class _Mallinfo2(ctypes.Structure):
    """glibc's ``struct mallinfo2`` (mallinfo2(3), glibc 2.33+), summed over every arena."""

    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
        "keepcost",
    )]  # fmt: skip


def malloc_kib() -> dict[str, int]:
    """KiB: malloc's in use (``uordblks`` + ``hblkhd``) and free inside its arenas (``fordblks``),
    its arenas; pymalloc's (pymalloc_kib); under tracemalloc (which hooks pymalloc, so that
    sys._debugmallocstats says nothing), Python's traced heap, its blocks over 512 bytes (malloc's;
    raw allocations of fewer bytes are counted as pymalloc's), and tracemalloc's own bookkeeping.
    {} elsewhere than glibc."""
    import tracemalloc

    libc = glibc()
    if libc is None:
        return {}
    libc.mallinfo2.restype = _Mallinfo2
    info = libc.mallinfo2()
    figures = {"used": (info.uordblks + info.hblkhd) // 1024, "free": info.fordblks // 1024,
               "arenas": heaps(libc), **pymalloc_kib()}  # fmt: skip
    if tracemalloc.is_tracing():  # pymalloc hooked: no pymalloc_kib; blocks over 512 bytes are malloc's
        traces = tracemalloc.take_snapshot().traces
        figures["traced"] = tracemalloc.get_traced_memory()[0] // 1024
        figures["traced_large"] = sum(t.size for t in traces if t.size > SMALL) // 1024
        figures["tracing"] = tracemalloc.get_tracemalloc_memory() // 1024
    return figures


def pymalloc_kib() -> dict[str, int]:
    """pymalloc's allocated blocks (KiB) and arenas (1 MiB each), from sys._debugmallocstats,
    which writes to the C stderr: read back through a temporary file."""
    with tempfile.TemporaryFile() as sink:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        sink.seek(0)
        text = sink.read().decode(errors="replace")
    found = {}
    for line in text.splitlines():
        name, _, value = line.partition("=")
        if name.startswith("# bytes in allocated blocks"):
            found["py_used"] = int(value.replace(",", "")) // 1024
        elif name.startswith("# arenas allocated current"):
            found["py_arenas"] = int(value.replace(",", ""))
    return found


def trimmed() -> dict[str, Any]:
    """SERVICEFLOW_BENCH_TRIM=1: malloc_trim(0) now (it returns the free pages of every arena,
    malloc_trim(3)), its CPU time, and the resident set and malloc's figures after it."""
    libc = glibc()
    if os.environ.get("SERVICEFLOW_BENCH_TRIM") != "1" or libc is None:
        return {}
    start = time.process_time()
    libc.malloc_trim(ctypes.c_size_t(0))
    took = time.process_time() - start
    return {"trimmed": {"rss_kib": rss_kib(), "malloc": malloc_kib(), "cpu_ms": took * 1000}}


class Collector:
    """The cyclic collector's work in this process, by generation: collections, and the CPU
    seconds they took (the collecting thread's own clock, gc.callbacks' start to stop)."""

    def __init__(self) -> None:
        self.runs: Counter[int] = Counter()
        self.seconds: Counter[int] = Counter()
        self._started = 0.0
        gc.callbacks.append(self.observe)

    def observe(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.thread_time()
        else:
            self.runs[info["generation"]] += 1
            self.seconds[info["generation"]] += time.thread_time() - self._started

    def now(self) -> dict[str, list[float]]:
        """By generation ("0" young, "1" middle, "2" full): [collections, CPU seconds] so far."""
        return {str(g): [float(self.runs[g]), self.seconds[g]] for g in (0, 1, 2)}

    def since(self, then: dict[str, list[float]]) -> dict[str, list[float]]:
        """The same, since ``then`` (an earlier ``now()``)."""
        now = self.now()
        return {g: [now[g][0] - then.get(g, [0, 0])[0], now[g][1] - then.get(g, [0, 0])[1]] for g in now}
