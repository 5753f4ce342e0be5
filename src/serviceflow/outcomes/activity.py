"""The ``record_outcomes`` activity: derive a decision's outcome rows and keep them in the store.

Idempotent: rows are keyed by the facts they record, so a retried activity writes each once.
A store that fails is tried ``SERVICEFLOW_OUTCOMES_ATTEMPTS`` times (short backoff), then the
activity answers with the failure, counts it (``serviceflow_outcomes_failed_total``) and the case
goes on: reports lose that decision's rows, cases never wait on them. In shadow mode every row
is marked would-have.
"""

from __future__ import annotations

import asyncio
import logging

from prometheus_client import CollectorRegistry, Counter
from temporalio import activity
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from serviceflow.outcomes.derive import derive
from serviceflow.outcomes.recording import RecordRequest, RecordResult
from serviceflow.outcomes.settings import OutcomeSettings, shadow_mode
from serviceflow.outcomes.store import OutcomeStore, OutcomeStoreError

log = logging.getLogger(__name__)


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
    ) -> None:
        self.store = store
        self.shadow = shadow
        self.attempts = attempts
        self.backoff = backoff
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
        cls, settings: OutcomeSettings | None = None, registry: CollectorRegistry | None = None
    ) -> OutcomeActivities:
        """From ``SERVICEFLOW_OUTCOMES_*`` and the deployment's mode.

        Raises:
            OutcomeStoreError: ``SERVICEFLOW_OUTCOMES_URL`` is not a store serviceflow can use.
        """
        settings = settings or OutcomeSettings()
        return cls(
            OutcomeStore(settings.outcomes_url),
            shadow=shadow_mode(),
            attempts=settings.outcomes_attempts,
            registry=registry,
        )

    @activity.defn(name="record_outcomes")
    async def record_outcomes(self, request: RecordRequest) -> RecordResult:
        """Derive the rows of one decision and keep them; answers (never raises) on a store failure."""
        rows = derive(request.before, request.after, request.decision, at=request.at, shadow=self.shadow)
        if not rows:
            return RecordResult(rows=0, written=0)
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.attempts),
                wait=wait_exponential(multiplier=self.backoff, max=10),
                retry=retry_if_exception_type(OutcomeStoreError),
                reraise=True,
            ):
                with attempt:
                    written = await asyncio.to_thread(self.store.write, rows)
        except OutcomeStoreError as exc:
            self.failed.inc()
            log.error(
                "outcomes of case %s not recorded after %d tries: %s",
                request.after.case_id,
                self.attempts,
                exc,
            )
            return RecordResult(rows=len(rows), written=0, failed=str(exc))
        self.written.inc(written)
        return RecordResult(rows=len(rows), written=written)
