"""SERVICEFLOW_TEMPORAL_ADDRESS is host:port, checked when the settings are read: a wrong one is
named there (a usage error), not found later as an unreachable server."""

from __future__ import annotations

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceflow.durable.settings import Settings


@pytest.mark.parametrize(
    "address", ["localhost:7233", "127.0.0.1:7233", "[::1]:7233", "ns.acct.tmprl.cloud:7233"]
)
def test_a_host_and_port_is_taken(address: str) -> None:
    assert Settings(temporal_address=address).temporal_address == address


@pytest.mark.parametrize(
    ("address", "said"),
    [
        ("localhost", "'localhost' has no port; Temporal's frontend listens on 7233: e.g. localhost:7233"),
        ("temporal.internal:", "has no port"),
        ("[::1]", "e.g. [::1]:7233"),
        ("localhost:0", "is not host:port"),
        ("localhost:7233/ns", "is not host:port"),
        ("localhost:99999", "is not host:port"),
    ],
)
def test_an_address_that_is_not_host_and_port_is_named(address: str, said: str) -> None:
    with pytest.raises(pydantic.ValidationError, match="temporal_address") as refused:
        Settings(temporal_address=address)
    assert said in str(refused.value)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_any_text_is_taken_as_host_and_port_or_refused_by_name(address: str) -> None:
    try:
        taken = Settings(temporal_address=address).temporal_address
    except pydantic.ValidationError as refused:
        assert refused.errors()[0]["loc"] == ("temporal_address",)
    else:
        assert taken == address and ":" in address
