"""The worker: runs case workflows and their activities against a Temporal service.

More workers against one Temporal cluster is how serviceflow scales past one machine: workers
keep no state of their own.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Sequence

from starlette.applications import Starlette
from temporalio.client import Client, TLSConfig
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import GrpcCompression
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from serviceflow.adapters.registry import registry
from serviceflow.channels import HELPDESK, LadderChannelError
from serviceflow.channels.settings import unknown_via
from serviceflow.durable.activities import CaseActivities
from serviceflow.durable.health import worker_app
from serviceflow.durable.messages import WatchStart
from serviceflow.durable.notifier import Notifier
from serviceflow.durable.open_cases import OpenCases
from serviceflow.durable.policy_store import PolicyStore
from serviceflow.durable.quarantine import QuarantineWatcher, watcher_id
from serviceflow.durable.quarantine_activities import QuarantineActivities
from serviceflow.durable.reconcile import Reconciler
from serviceflow.durable.reconcile_start import start_reconcilers
from serviceflow.durable.registration import worker_activities
from serviceflow.durable.roster_source import RosterSource
from serviceflow.durable.settings import Settings
from serviceflow.durable.telemetry import sdk_runtime
from serviceflow.durable.workflows import CaseWorkflow
from serviceflow.model import Roster
from serviceflow.outcomes.activity import OutcomeActivities
from serviceflow.policy.loader import PolicySet
from serviceflow.tracing import client_interceptors, worker_interceptors

log = logging.getLogger(__name__)

# The workflow runner: the SDK's sandbox, kept (issue 17: measured 2026-12-03 with bench_durable's
# unsandboxed kinds and tracemalloc, docs/scaling.md "The sandbox's share again"), with the case
# workflow's module passed through. The sandbox re-imported workflows.py for every open case (its
# bytecode, its class, its handlers' definitions, an importer's modules): ~24 KiB of a case's
# ~137 KiB of resident memory and ~5 ms of worker CPU per case, to check five methods that only
# delegate to case_flow.py, which is passed through already (as the SDK advises for "models,
# Activities ... whose calls will be deterministic", docs.temporal.io/develop/python/python-sdk-sandbox).
# Passed through, a module is "never reloaded per workflow run" (SandboxRestrictions'
# passthrough_all_modules docstring, sdk-python #737): it holds no state of a run (CaseWorkflow's
# state is its instance's). What stays: every workflow runs in the sandbox, whose restricted
# builtins (open...) fail a workflow task in passed-through code too, and whose member checks
# (datetime.now, random, time.time...) still cover the watcher's and the reconciler's modules
# (quarantine.py, reconcile.py: their logic is their own); the replay tests guard the case's
# code. Unsandboxed a case holds ~108 KiB: the sandbox is not what stands between it and 64 KiB.
# tests/durable/test_sandbox.py holds this runner to all of it.
CASE_WORKFLOW_MODULE = "serviceflow.durable.workflows"
WORKFLOW_RUNNER = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules(CASE_WORKFLOW_MODULE)
)


async def connect(settings: Settings, *, compress: bool = True) -> Client:
    """A Temporal client for the settings: plain, mTLS, or Temporal Cloud with an API key; the
    SDK's metrics are served on ``SERVICEFLOW_TEMPORAL_METRICS_PORT`` when it is set, and its
    calls (and its workers) are traced when ``SERVICEFLOW_OTEL_ENDPOINT`` is (serviceflow.tracing).
    ``compress=False``: no gzip on the gRPC messages (the receiver's: see receiver/server.py)."""
    tls: TLSConfig | bool = False
    if settings.temporal_tls_cert or settings.temporal_tls_ca:
        tls = TLSConfig(
            client_cert=settings.temporal_tls_cert.read_bytes() if settings.temporal_tls_cert else None,
            client_private_key=settings.temporal_tls_key.read_bytes() if settings.temporal_tls_key else None,
            server_root_ca_cert=settings.temporal_tls_ca.read_bytes() if settings.temporal_tls_ca else None,
        )
    elif settings.temporal_api_key:
        tls = True
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        tls=tls,
        api_key=settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None,
        data_converter=pydantic_data_converter,
        runtime=sdk_runtime(settings.temporal_metrics_port, settings.metrics_host),
        interceptors=client_interceptors(settings),  # tracing: Temporal's TracingInterceptor, or none
        grpc_compression=GrpcCompression.GZIP if compress else GrpcCompression.NONE,
    )


def build_worker(
    client: Client,
    settings: Settings,
    activities: CaseActivities,
    quarantine: QuarantineActivities | None = None,
    outcomes: OutcomeActivities | None = None,
) -> Worker:
    """The worker of ``serviceflow worker``: every workflow, and every activity they run
    (registration.worker_activities, the list test workers use too)."""
    # The outcome store (SERVICEFLOW_OUTCOMES_URL): a bad URL stops the worker here, clearly.
    outcomes = outcomes or OutcomeActivities.from_settings(
        registry=activities.metrics.registry, roster=lambda: activities.roster
    )
    return Worker(
        client,
        task_queue=settings.task_queue,
        # Tracing, when on and the client does not carry it already (serviceflow.tracing).
        interceptors=worker_interceptors(client),
        workflows=[CaseWorkflow, QuarantineWatcher, Reconciler],
        workflow_runner=WORKFLOW_RUNNER,
        activities=worker_activities(
            activities, client, settings.task_queue, outcomes, quarantine=quarantine
        ),
        # Open cases kept in memory (their state and history), the rest replayed when they wake:
        # SERVICEFLOW_WORKFLOW_CACHE, see docs/scaling.md.
        max_cached_workflows=settings.workflow_cache,
    )


async def start_watchers(client: Client, settings: Settings) -> list[str]:
    """Start a quarantine watcher for each ``SERVICEFLOW_QUARANTINE_WATCH`` account (one that
    runs already is kept, and told the current interval); returns their workflow ids."""
    started = []
    for entry in settings.quarantine_watch:
        vendor, _, account = entry.partition(":")
        if not vendor or not account:
            raise ValueError(
                f"SERVICEFLOW_QUARANTINE_WATCH entry {entry!r} is not 'vendor:account' (e.g. zendesk:acme)"
            )
        adapter = registry().get(vendor)
        if adapter is None or adapter.quarantine is None:
            log.error("no installed plugin watches the quarantine of %r: not watching %s", vendor, entry)
            continue
        handle = await client.start_workflow(
            QuarantineWatcher.run,
            WatchStart(vendor=vendor, account=account, interval_seconds=settings.quarantine_interval),
            id=watcher_id(vendor, account),
            task_queue=settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        await handle.signal(QuarantineWatcher.configure, settings.quarantine_interval)
        started.append(handle.id)
    return started


def metrics_address(settings: Settings) -> tuple[str, int] | None:
    """Where the worker serves its metrics and health: ``metrics_host:metrics_port`` (loopback
    unless the settings say otherwise, as the receiver), or None when no port is set."""
    if settings.metrics_port is None:
        return None
    return settings.metrics_host, settings.metrics_port


async def run_worker(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    """Run until SIGTERM or SIGINT (or ``stop``), then finish in-flight tasks and exit.

    Raises:
        PolicySetError: the policy set is broken; the worker does not start.
        ChannelSettingsError: a channel's settings are wrong, or ``SERVICEFLOW_REVIEW_VIA`` names
            one that is not configured.
        LadderChannelError: an escalation ladder's ``via:`` names a channel that is not configured.
    """
    store = PolicyStore(settings.policies)
    notifier = Notifier.from_settings(settings)  # before connecting: a setting's mistake is told first
    check_ladder_channels(store.current().policy_set, notifier.channels.names)
    client = await connect(settings)
    roster = RosterSource(settings.roster, settings.roster_from, settings.roster_refresh)
    activities = CaseActivities(store, await roster.refresh(), client, notifier, mode=lambda: settings.mode)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(signum, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread
            pass
    worker = build_worker(client, settings, activities)
    background: list[asyncio.Task[None]] = []
    address = metrics_address(settings)
    if address is not None:
        open_cases = OpenCases(activities.metrics.registry)
        background.append(asyncio.create_task(open_cases.keep_counting(client, settings.task_queue, stop)))
        app = worker_app(activities.metrics.registry, client, lambda: worker.is_running)
        background.append(asyncio.create_task(serve_until(app, address, stop)))
    log.info(
        "worker on %s namespace %s task queue %s, policy set %s, %s mode",
        settings.temporal_address,
        settings.temporal_namespace,
        settings.task_queue,
        store.current().version,
        settings.mode.value,
    )
    async with worker:
        for watcher in await start_watchers(client, settings):
            log.info("watching the quarantine: %s every %.0f s", watcher, settings.quarantine_interval)
        for reconciler in await start_reconcilers(client, settings):
            log.info("reconciling: %s every %.0f s", reconciler, settings.reconcile_interval)
        freeze_startup()

        def use(fresh: Roster) -> None:
            activities.roster = fresh

        refreshing = asyncio.create_task(roster.keep_fresh(use, stop))
        await stop.wait()
        await refreshing
        log.info("stopping: finishing in-flight tasks")
    await asyncio.gather(*background)


def check_ladder_channels(policy_set: PolicySet, configured: Sequence[str]) -> None:
    """Every ``via:`` name of the set's escalation ladders is ``helpdesk`` or a configured channel.

    A typo showed only at the first breach, as a delivery ``refused``; now the worker does not
    start, and says where each unknown name is and which channels there are. (A reload of the
    policy set is not checked here: a ladder changed while the worker runs still shows at its
    first breach.)

    Raises:
        LadderChannelError: one line per unknown name: file and position, ladder and level.
    """
    ladders = {
        name: [level.via for level in ladder.levels]
        for name, ladder in policy_set.settings.escalations.items()
    }
    unknown = unknown_via(ladders, configured)
    if not unknown:
        return
    document = next(
        (d for d in policy_set.documents if isinstance(d.data, dict) and d.data.get("kind") == "PolicySet"),
        None,
    )
    have = ", ".join([HELPDESK, *configured])
    problems = []
    for ladder, i, j, name in unknown:
        path = ("escalations", ladder, "levels", i, "via", j)
        where = str(document.locate(path)) if document is not None else (policy_set.files or ("-",))[0]
        problems.append(
            f"{where}: escalations.{ladder}.levels[{i}].via: {name!r} is not a configured channel "
            f"(configured: {have}; SERVICEFLOW_CHANNELS configures the others)"
        )
    raise LadderChannelError(problems)


def freeze_startup() -> None:
    """Once the worker has started: what start-up built (modules, the SDK, protobuf's and
    pydantic's types, the policy set) leaves the cyclic collector's reach (``gc.freeze``, as the
    receiver's settle_collector), so that a full collection walks what cases made, not every object
    of the process. A frozen object is still freed when its last reference goes; only a cycle
    among them is never collected (start-up's objects live as long as the process anyway).
    Measured (RESULTS.md, memory10): the collector is under 1 % of a worker's CPU per case, so this
    is tidiness more than speed; it did not hurt."""
    from serviceflow.receiver.server import settle_collector  # the same two calls as the receiver's

    settle_collector()
    log.debug("froze %d objects of start-up out of the collector's full collections", gc.get_freeze_count())


async def serve_until(app: Starlette, address: tuple[str, int], stop: asyncio.Event) -> None:
    """Serve the worker's metrics and health on ``address`` until ``stop``."""
    from serviceflow.receiver.server import serving_app

    async with serving_app(app, *address):
        await stop.wait()
