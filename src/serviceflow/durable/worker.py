"""The worker: runs case workflows and their activities against a Temporal service.

More workers against one Temporal cluster is how serviceflow scales past one machine: workers
keep no state of their own.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from prometheus_client import start_http_server
from temporalio.client import Client, TLSConfig
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from serviceflow.durable.activities import CaseActivities, load_roster
from serviceflow.durable.policy_store import PolicyStore
from serviceflow.durable.settings import Settings
from serviceflow.durable.workflows import CaseWorkflow

log = logging.getLogger(__name__)


async def connect(settings: Settings) -> Client:
    """A Temporal client for the settings: plain, mTLS, or Temporal Cloud with an API key."""
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
        api_key=settings.temporal_api_key,
        data_converter=pydantic_data_converter,
    )


def build_worker(client: Client, settings: Settings, activities: CaseActivities) -> Worker:
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[CaseWorkflow],
        activities=[activities.decide, activities.carry_out],
    )


async def run_worker(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    """Run until SIGTERM or SIGINT (or ``stop``), then finish in-flight tasks and exit.

    Raises:
        PolicySetError: the policy set is broken; the worker does not start.
    """
    store = PolicyStore(settings.policies)
    client = await connect(settings)
    activities = CaseActivities(store, load_roster(settings.roster), client)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(signum, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread
            pass
    if settings.metrics_port is not None:
        start_http_server(settings.metrics_port, registry=activities.metrics.registry)
    worker = build_worker(client, settings, activities)
    log.info(
        "worker on %s namespace %s task queue %s, policy set %s",
        settings.temporal_address,
        settings.temporal_namespace,
        settings.task_queue,
        store.current().version,
    )
    async with worker:
        await stop.wait()
        log.info("stopping: finishing in-flight tasks")
