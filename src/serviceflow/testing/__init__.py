"""The conformance suite every helpdesk adapter passes, as a pytest plugin.

A plugin runs the whole contract against its own fake by defining one fixture in its tests'
``conftest.py``::

    @pytest.fixture
    async def helpdesk_contract(fake) -> AsyncIterator[ContractTarget]:
        sleeps = SleepRecorder()
        adapter = AcmeAdapter(AcmeSettings(base_url=fake.base_url, ...),
                              client_options={"page_size": 2, "sleep": sleeps})
        yield ContractTarget(adapter=adapter, account="127.0.0.1", desk=AcmeDesk(fake),
                             sleeps=sleeps.delays, page_size=2)
        await adapter.aclose()

The suite (:mod:`.contract`) is collected beside that conftest (:mod:`.plugin`, registered in
the ``pytest11`` entry-point group). ``docs/adapters.md`` says what each test holds an adapter to
and what the :class:`ContractDesk` moves must do.
"""

from serviceflow.testing.receiver import ContractReceiver
from serviceflow.testing.target import ContractDesk, ContractTarget, SleepRecorder, Tampering

__all__ = ["ContractDesk", "ContractReceiver", "ContractTarget", "SleepRecorder", "Tampering"]
