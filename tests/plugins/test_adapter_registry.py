"""Adapters registered by plugins, found by vendor name; the integration's identity, learned once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from serviceflow.adapters import AdapterBase, Identities, Identity, InvalidAdapter, adapter_for, registry
from serviceflow.errors import IdentityUnavailable, UnknownVendor
from serviceflow.plugins import get_plugin_manager, hookimpl
from serviceflow.plugins.demo import ADAPTER as BUILT_IN


class Desk(AdapterBase):
    """A test adapter: whoami answers, fails, or hangs as told."""

    def __init__(self, vendor: str, *, demo: bool = False, preference: int = 0) -> None:
        self.vendor = vendor
        self.demo = demo
        self.demo_preference = preference
        self.asked = 0
        self.answer: Callable[[], Any] = lambda: Identity(vendor=vendor, account="acme", id="900")

    def demo_helpdesk(self) -> Any:
        return object() if self.demo else None

    async def whoami(self, account: str) -> Identity:
        self.asked += 1
        result = self.answer()
        if asyncio.iscoroutine(result):
            result = await result
        if isinstance(result, Exception):
            raise result
        return result  # type: ignore[no-any-return]


class Plugin:
    def __init__(self, *adapters: Any) -> None:
        self.adapters = adapters

    @hookimpl
    def serviceflow_register_adapters(self, register: Callable[..., None]) -> None:
        for adapter in self.adapters:
            register(adapter)


@pytest.fixture
def plugged() -> Iterator[Callable[..., Plugin]]:
    manager, made = get_plugin_manager(), []

    def plug(*adapters: Any) -> Plugin:
        plugin = Plugin(*adapters)
        manager.register(plugin, name=f"test-plugin-{len(made)}")
        made.append(plugin)
        return plugin

    yield plug
    for plugin in made:
        manager.unregister(plugin)


def test_adapters_are_found_by_vendor_and_the_built_in_one_is_there(plugged: Callable[..., Plugin]) -> None:
    assert adapter_for("demo") is BUILT_IN
    acme = Desk("acme-desk")
    plugged(acme)
    assert adapter_for("acme-desk") is acme and "acme-desk" in registry().vendors()
    with pytest.raises(UnknownVendor, match="no installed plugin serves the helpdesk 'nobody'"):
        adapter_for("nobody")


def test_a_later_plugin_replaces_a_vendor_and_leaving_restores_it(plugged: Callable[..., Plugin]) -> None:
    stand_in = Desk("demo")
    plugin = plugged(stand_in)
    assert adapter_for("demo") is stand_in
    get_plugin_manager().unregister(plugin)
    assert adapter_for("demo") is BUILT_IN
    get_plugin_manager().register(plugin, name="test-plugin-again")  # the fixture unregisters it


def test_a_bad_vendor_name_is_refused_naming_the_plugin(plugged: Callable[..., Plugin]) -> None:
    plugged(Desk("Acme:Desk"))
    with pytest.raises(InvalidAdapter, match="plugin 'test-plugin-0' registered"):
        registry()


def test_demo_choices_come_from_the_registry_the_preferred_first(plugged: Callable[..., Plugin]) -> None:
    plugged(Desk("alpha", demo=True), Desk("omega", demo=True, preference=99), Desk("plain"))
    choices = registry().demo_choices()
    assert choices[0] == "omega" and "alpha" in choices and "plain" not in choices and "demo" not in choices


async def test_the_identity_is_asked_once_and_kept() -> None:
    desk, identities = Desk("acme-desk"), Identities()
    first = await identities.of(desk, "acme")
    assert await identities.of(desk, "acme") is first and desk.asked == 1
    assert identities.known("acme-desk", "acme") == first


async def test_an_unreachable_helpdesk_fails_fast_then_is_asked_again() -> None:
    clock = [0.0]
    desk = Desk("acme-desk")
    identities = Identities(retry_after=5, clock=lambda: clock[0])
    desk.answer = lambda: ConnectionError("refused")
    with pytest.raises(IdentityUnavailable, match="could not say who serviceflow is: refused"):
        await identities.of(desk, "acme")
    with pytest.raises(IdentityUnavailable):
        await identities.of(desk, "acme")
    assert desk.asked == 1  # within retry_after: not asked again
    clock[0] = 6
    desk.answer = lambda: Identity(vendor="acme-desk", account="acme", id="900")
    assert (await identities.of(desk, "acme")).id == "900" and desk.asked == 2


async def test_a_missing_setting_is_no_retryable_failure() -> None:
    from serviceflow_zendesk.settings import ZendeskNotConfigured

    from serviceflow.adapters.identity import IdentityRefused

    missing = ZendeskNotConfigured("set SERVICEFLOW_ZENDESK_SUBDOMAIN to name the Zendesk account")
    desk, identities = Desk("acme-desk"), Identities(retry_after=5, clock=lambda: 0.0)
    desk.answer = lambda: missing
    for _ in range(2):  # asked, then failing fast: both times not retryable
        with pytest.raises(IdentityRefused, match="set SERVICEFLOW_ZENDESK_SUBDOMAIN") as raised:
            await identities.of(desk, "acme")
        assert isinstance(raised.value, IdentityUnavailable) and not raised.value.retryable
    assert desk.asked == 1
    # what a later attempt can mend stays retryable
    unreachable = Desk("other-desk")
    unreachable.answer = lambda: ConnectionError("refused")
    with pytest.raises(IdentityUnavailable) as raised:
        await Identities().of(unreachable, "acme")
    assert raised.value.retryable and not isinstance(raised.value, IdentityRefused)


async def test_a_hanging_helpdesk_is_a_bounded_wait() -> None:
    desk, identities = Desk("acme-desk"), Identities(timeout=0.05)

    async def never() -> Identity:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    desk.answer = never
    with pytest.raises(IdentityUnavailable, match="did not say who serviceflow is within"):
        await identities.of(desk, "acme")


async def test_an_identity_of_another_account_is_refused() -> None:
    desk = Desk("acme-desk")
    desk.answer = lambda: Identity(vendor="acme-desk", account="other", id="1")
    with pytest.raises(IdentityUnavailable, match="answered the identity of acme-desk:other"):
        await Identities().of(desk, "acme")


def test_an_identity_matches_by_id_name_or_email() -> None:
    me = Identity(vendor="v", account="a", id="7", name="Service Flow", email="sf@shop.example")
    assert (
        me.is_actor(actor_id="7")
        and me.is_actor(name=" service flow ")
        and me.is_actor(email="SF@shop.example")
    )
    assert not me.is_actor(actor_id="8") and not me.is_actor(name=None) and not me.is_actor()
