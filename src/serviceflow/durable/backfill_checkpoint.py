"""A backfill's checkpoint (the ``--checkpoint`` file): what it has done so far, kept whole
between runs so that ``serviceflow backfill`` resumes where it stopped; its error, and the
summaries the CLI prints of it."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from pydantic import AwareDatetime, BaseModel, ValidationError

from serviceflow.adapters.records import ChangeCursor
from serviceflow.errors import ServiceflowError, describe_validation


class BackfillError(ServiceflowError):
    """The backfill stopped: the message says why and what to do (the checkpoint is kept)."""


class BreachRecord(BaseModel):
    case_id: str
    subject: str
    owner: str | None
    target: str
    breached_at: AwareDatetime


class Checkpoint(BaseModel):
    """What a backfill has done so far (the ``--checkpoint`` file, JSON)."""

    vendor: str
    account: str
    since: AwareDatetime
    cursor: ChangeCursor | None = None
    listed_all: bool = False
    done: dict[str, str] = {}  # ticket id -> what was done
    #: Tickets whose case this backfill opened and whose past's outcome rows are not kept yet
    #: (the store failed, or the process stopped between the two): a later run keeps them.
    rows_pending: list[str] = []
    breaches: list[BreachRecord] = []
    digests_sent: list[str] = []  # owners whose digest went out

    @classmethod
    def load_or_new(cls, path: Path, vendor: str, account: str, since: datetime) -> Checkpoint:
        """The checkpoint in ``path`` (resuming), or a new one when there is no file.

        Raises:
            BackfillError: the file is not a checkpoint, or one of another account.
        """
        if not path.exists():
            return cls(vendor=vendor, account=account, since=since)
        try:
            found = cls.model_validate_json(path.read_text())
        except ValidationError as exc:  # named by field, never by the value (describe_validation)
            raise BackfillError(
                f"{path} is not a backfill checkpoint ({describe_validation(exc)}); remove it or name another"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise BackfillError(
                f"{path} is not a backfill checkpoint ({exc}); remove it or name another"
            ) from None
        if (found.vendor, found.account) != (vendor, account):
            raise BackfillError(
                f"{path} is the checkpoint of {found.vendor}:{found.account}, not {vendor}:{account}; "
                f"name another with --checkpoint"
            )
        return found

    def save(self, path: Path) -> None:
        """Written whole to a temporary file, then renamed: a crash leaves the old or the new."""
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(self.model_dump_json(indent=1))
        os.replace(temporary, path)


def summary(checkpoint: Checkpoint) -> dict[str, int]:
    """Tickets by what was done (``case opened``, ``skipped: ...``)."""
    counts: dict[str, int] = {}
    for outcome in checkpoint.done.values():
        kind = outcome.split(" (")[0]
        counts[kind] = counts.get(kind, 0) + 1
    return counts
