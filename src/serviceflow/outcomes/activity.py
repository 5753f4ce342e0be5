"""The ``record_outcomes`` activity: derive a decision's outcome rows and keep them in the store.

Idempotent: rows are keyed by the facts they record, so a retried activity writes each once.
A store that fails is tried ``SERVICEFLOW_OUTCOMES_ATTEMPTS`` times (short backoff), then the
activity answers with the failure, counts it (``serviceflow_outcomes_failed_total``) and the case
goes on: reports lose that decision's rows. While it keeps failing, each decision tries it once
and at once (no backoff), and the log says so once a minute, until a write succeeds. In shadow
mode every row is marked would-have.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

from prometheus_client import CollectorRegistry, Counter
from temporalio import activity

from serviceflow.model import Roster
from serviceflow.outcomes.derive import derive
from serviceflow.outcomes.model import Outcome
from serviceflow.outcomes.recording import RecordRequest, RecordResult
from serviceflow.outcomes.settings import OutcomeSettings, shadow_mode
from serviceflow.outcomes.store import OutcomeStore, OutcomeStoreError

log = logging.getLogger(__name__)

#: A failing store is logged once, then at most this often, with how many decisions it missed.
LOG_EVERY_SECONDS = 60.0


class OutcomeActivities:
    """The worker's outcome recording, with its store and its metrics."""

    def __init__(
        self,
        store: OutcomeStore,
        *,
        shadow: bool = False,
        attempts: int = 3,
        registry: CollectorRegistry | None = None,
        backoff: float = 0.5,
        roster: Callable[[], Roster] | None = None,
    ) -> None:
        """``roster`` gives the roster as it is now, to name teams and agents in the rows."""
        self.store = store
        self.roster = roster
        self.inline = store.engine.dialect.name == "sqlite"
        self.shadow = shadow
        self.attempts = attempts
        self.backoff = backoff
        self.failing_since: float | None = None  # monotonic time of the first failure in a row
        self.missed = 0  # decisions unrecorded since then
        self.logged_at = 0.0
        self.registry = registry = registry or CollectorRegistry()
        self.written = Counter(
            "serviceflow_outcomes_written_total", "Outcome rows kept in the outcome store.", registry=registry
        )
        self.failed = Counter(
            "serviceflow_outcomes_failed_total",
            "Decisions whose outcomes the store did not take after every try (the case went on).",
            registry=registry,
        )

    @classmethod
    def from_settings(
        cls,
        registry: CollectorRegistry | None = None,
        settings: OutcomeSettings | None = None,
        roster: Callable[[], Roster] | None = None,
    ) -> OutcomeActivities:
        """From ``SERVICEFLOW_OUTCOMES_*`` and the deployment's mode, counting in ``registry``.

        Raises:
            OutcomeStoreError: ``SERVICEFLOW_OUTCOMES_URL`` is not a store serviceflow can use.
        """
        settings = settings or OutcomeSettings()
        return cls(
            OutcomeStore(settings.outcomes_url),
            shadow=shadow_mode(),
            attempts=settings.outcomes_attempts,
            registry=registry,
            roster=roster,
        )

    @activity.defn(name="record_outcomes")
    async def record_outcomes(self, request: RecordRequest) -> RecordResult:
        """Derive the rows of one decision and keep them; answers (never raises) on a store failure."""
        return await self.record(request)

    async def record(self, request: RecordRequest) -> RecordResult:
        """What ``record_outcomes`` does, for the decide activity to call in-process (one local
        activity for both); answers (never raises) on a store failure, logged and counted."""
        rows = derive(request.before, request.after, request.decision, at=request.at, shadow=self.shadow)
        if not rows:
            return RecordResult(rows=0, written=0)
        if self.roster is not None:
            rows = named(rows, self.roster())
        failure: OutcomeStoreError | None = None
        # While the store keeps failing (a database down, a read-only file system), each
        # decision tries it once, at once: a broken store costs a case no waiting.
        attempts = 1 if self.failing_since is not None else self.attempts
        for attempt in range(attempts):
            if attempt:
                await asyncio.sleep(min(self.backoff * 2 ** (attempt - 1), 10.0))
            try:
                written = await self._write(rows)
            except OutcomeStoreError as exc:
                failure = exc
                continue
            self.written.inc(written)
            if self.failing_since is not None:
                log.info("the outcome store takes outcomes again (%d decisions went unrecorded)", self.missed)
                self.failing_since, self.missed = None, 0
            return RecordResult(rows=len(rows), written=written)
        assert failure is not None
        self.missed_one(str(failure))
        return RecordResult(rows=len(rows), written=0, failed=str(failure))

    def slow(self) -> None:
        """The store answered too slowly for a decision to wait on it: failing until a write
        succeeds (each decision then tries it once, apart from deciding); nothing counted yet,
        the try apart counts what it misses."""
        self.failing_since = self.failing_since or time.monotonic()

    def missed_one(self, failure: str) -> None:
        """Count a decision the store did not take (it failed, or was too slow), and log it at
        most every :data:`LOG_EVERY_SECONDS`; until a write succeeds the store is failing."""
        self.failed.inc()
        self.missed += 1
        now = time.monotonic()
        if self.failing_since is None or now - self.logged_at >= LOG_EVERY_SECONDS:
            self.logged_at = now
            log.error("outcomes not recorded (%d decisions so far; cases go on): %s", self.missed, failure)
        self.failing_since = self.failing_since or now

    async def _write(self, rows: Sequence[Outcome]) -> int:
        """An SQLite file is written on the event loop (a write takes well under a millisecond,
        and a thread hop cost more than the write: 15 % of a case's CPU, measured); a database
        over the network from a thread, so a slow one never stalls the worker's other tasks."""
        if self.inline:
            return self.store.write(rows)
        return await asyncio.to_thread(self.store.write, rows)


def named(rows: Sequence[Outcome], roster: Roster) -> tuple[Outcome, ...]:
    """The rows with their team's and agent's names from ``roster`` (where it knows them)."""
    found = []
    for row in rows:
        agent = roster.agent(row.agent) if row.agent else None
        group = roster.group(row.team) if row.team else None
        names = {
            "agent_name": (agent.name or agent.email or None) if agent else None,
            "team_name": (group.name or None) if group else None,
        }
        found.append(row.model_copy(update=names) if any(names.values()) else row)
    return tuple(found)
