"""A real headless Chromium (Debian's ``/usr/bin/chromium``): open a page, let its scripts run,
and read the DOM as they left it. Skipped, naming the package, where Chromium is absent."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

SKIP = "Chromium is not installed (Debian package: chromium); the report's browser test is skipped"


def chromium() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found is None:
        pytest.skip(SKIP)
    return found


def rendered_dom(page: Path, *, timeout: float = 120) -> str:
    """The page's DOM after its scripts ran (up to 20 s of virtual time), as Chromium serialises it."""
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", f"--user-data-dir={profile}", "--virtual-time-budget=20000",
                "--dump-dom", page.resolve().as_uri(),
            ],
            capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2_000:]
    return done.stdout


class Dom(HTMLParser):
    """What the tests read from the DOM: each chart's SVGs and texts, and the tables' cells."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.stack: list[tuple[str, str | None]] = []  # (tag, chart id of the enclosing chart box)
        self.svgs: dict[str, int] = {}
        self.texts: dict[str, list[str]] = {}
        self.cells: list[dict[str, str]] = []
        self.summary: dict[str, str] = {}
        self.tags: set[str] = set()
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        self.tags.add(tag)
        chart = found.get("data-chart") or (self.stack[-1][1] if self.stack else None)
        if tag not in ("br", "img", "input", "meta", "link", "hr", "area", "base", "col", "wbr", "source"):
            self.stack.append((tag, chart))
        if tag == "svg" and chart is not None and "main-svg" in found.get("class", ""):
            self.svgs[chart] = self.svgs.get(chart, 0) + 1
        if tag == "td" and "data-metric" in found:
            self.cells.append(found)
        if found.get("id") == "summary":
            self.summary = found

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        inside_text = any(tag == "text" for tag, _ in self.stack[-3:])  # plotly nests <tspan>s
        if inside_text and self.stack[-1][1] and data.strip():
            self.texts.setdefault(self.stack[-1][1], []).append(data.strip())
