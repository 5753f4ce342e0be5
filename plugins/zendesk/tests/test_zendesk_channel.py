"""A ticket's ``via.channel`` as serviceflow reads it: a known name, else other, never a crash
(hypothesis found an export whose ``via.channel`` was ``true``: tests/backtest/test_readers_properties.py)."""

from __future__ import annotations

import pytest
from serviceflow_zendesk import convert

from serviceflow.model import Channel


@pytest.mark.parametrize("value", [None, "", True, False, 0, 7, 1.5, [], {}, ["email"], {"name": "email"}])
def test_anything_but_a_name_is_other(value: object) -> None:
    assert convert.channel(value) is Channel.OTHER


def test_a_known_name_in_any_case_and_spacing_is_its_channel() -> None:
    assert convert.channel("email") is Channel.EMAIL
    assert convert.channel(" Email ") is Channel.EMAIL
