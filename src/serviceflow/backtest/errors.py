"""What goes wrong reading history: each error names the file, the line (record) and what to fix."""

from __future__ import annotations

from serviceflow.errors import ServiceflowError


class BacktestError(ServiceflowError):
    """A backtest cannot run as asked (a bad source, an unknown vendor, a policy set missing)."""


class ExportError(BacktestError):
    """An export file is not in a documented format, is truncated, or mixes helpdesks.

    Attributes:
        line: The 1-based line (record) the problem is on; None for the file as a whole.
        file: The file, once the reader knows it.
    """

    def __init__(self, message: str, *, line: int | None = None, file: str | None = None) -> None:
        self.message = message
        self.line = line
        self.file = file
        super().__init__(self._text())

    def _text(self) -> str:
        where = self.file or "export"
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}"

    def located(self, file: str) -> ExportError:
        """The same error, naming ``file``."""
        return ExportError(self.message, line=self.line, file=file)
