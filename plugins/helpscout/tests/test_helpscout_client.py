"""The client against the fake over real HTTP: the OAuth2 token (fetched once, kept until it
runs out, renewed once on a 401), rate limits (the pacer reads the per-minute headers, writes
count twice, a 429's ``X-RateLimit-Retry-After`` is waited), HAL pages followed to the end, and
Help Scout's answers as typed errors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from helpscout_testing import SleepRecorder
from serviceflow_helpscout.auth import TOKEN_PATH, ClientCredentials
from serviceflow_helpscout.client import HelpScoutClient
from serviceflow_helpscout.errors import (
    AuthenticationFailed,
    ConversationGone,
    RateLimited,
    ServerError,
    ThreadLimitReached,
    ValidationFailed,
)
from serviceflow_helpscout.fake import FakeHelpScout


@pytest.fixture
async def make_client(
    fake: FakeHelpScout, sleeps: SleepRecorder
) -> AsyncIterator[Callable[..., HelpScoutClient]]:
    made: list[HelpScoutClient] = []

    def build(**kwargs: Any) -> HelpScoutClient:
        kwargs.setdefault("sleep", sleeps)
        client = HelpScoutClient(
            fake.base_url,
            kwargs.pop("app_id", fake.app_id),
            kwargs.pop("app_secret", fake.app_secret),
            **kwargs,
        )
        made.append(client)
        return client

    yield build
    for client in made:
        await client.aclose()


def conversation(fake: FakeHelpScout) -> int:
    customer = fake.add_customer("Casey Customer", "casey@example.com")
    return int(
        fake.open_conversation(customer["id"], "Charged twice", "Please refund one.", notify=False)["id"]
    )


async def test_one_token_is_fetched_form_encoded_and_kept(
    fake: FakeHelpScout, make_client: Callable[..., HelpScoutClient]
) -> None:
    client = make_client()
    for _ in range(3):
        assert (await client.me()).id == str(fake.owner["id"])
    (token_call,) = fake.calls_to("POST", TOKEN_PATH)
    assert token_call.headers["content-type"] == "application/x-www-form-urlencoded"
    form = parse_qs(token_call.body.decode())
    assert form == {
        "grant_type": ["client_credentials"],
        "client_id": [fake.app_id],
        "client_secret": [fake.app_secret],
    }
    api = fake.calls_to("GET", "/v2/users/me")
    assert len(api) == 3 and all(c.headers["authorization"].startswith("Bearer ") for c in api)
    assert client.auth.fetches == 1


async def test_a_401_renews_the_token_once_and_sends_the_call_once_more(
    fake: FakeHelpScout, make_client: Callable[..., HelpScoutClient]
) -> None:
    client = make_client()
    await client.me()
    fake.expire_tokens()  # revoked, or expired early
    assert (await client.me()).id == str(fake.owner["id"])
    assert [c.status for c in fake.calls_to("GET", "/v2/users/me")] == [200, 401, 200]
    assert client.auth.fetches == 2
    fake.token_lifetime = 0  # every token Help Scout issues now is dead on arrival
    fake.expire_tokens()
    with pytest.raises(AuthenticationFailed):
        await client.me()
    assert client.auth.fetches == 3  # renewed once, then the 401 is the answer: no loop


async def test_wrong_credentials_say_which_settings_to_fix(
    fake: FakeHelpScout, make_client: Callable[..., HelpScoutClient]
) -> None:
    client = make_client(app_secret="wrong")
    with pytest.raises(AuthenticationFailed, match="SERVICEFLOW_HELPSCOUT_APP_ID") as caught:
        await client.me()
    assert caught.value.status == 401 and "wrong" not in str(caught.value)
    assert not fake.calls_to("GET", "/v2/users/me")


async def test_a_token_is_renewed_before_it_runs_out(fake: FakeHelpScout) -> None:
    """Kept until a tenth of its life (at most a minute) before ``expires_in``, by the clock."""
    now = [1000.0]
    fake.token_lifetime = 120
    auth = ClientCredentials(fake.base_url + TOKEN_PATH, fake.app_id, fake.app_secret, clock=lambda: now[0])
    async with httpx.AsyncClient(base_url=fake.base_url, auth=auth) as http:
        assert (await http.get("/v2/users/me")).status_code == 200
        now[0] += 107
        await http.get("/v2/users/me")
        assert auth.fetches == 1
        now[0] += 2  # 109 s: inside the last 12 s
        await http.get("/v2/users/me")
        assert auth.fetches == 2


async def test_the_token_requests_own_429_is_waited_out(
    fake: FakeHelpScout, make_client: Callable[..., HelpScoutClient], sleeps: SleepRecorder
) -> None:
    fake.fail_next(1, status=429, retry_after=3, path=TOKEN_PATH)
    client = make_client()
    await client.me()
    assert sleeps.delays == [3.0] and [c.status for c in fake.calls_to("POST", TOKEN_PATH)] == [429, 200]


async def test_every_answer_states_the_minutes_budget_and_writes_count_twice(
    fake: FakeHelpScout, make_client: Callable[..., HelpScoutClient]
) -> None:
    cid = conversation(fake)
    client = make_client()
    await client.conversation(cid)
    await client.patch(cid, "replace", "/status", "pending")
    await client.conversation(cid)
    left = [
        int(c.response_headers["X-RateLimit-Remaining-Minute"]) for c in fake.calls if c.path != TOKEN_PATH
    ]
    assert left[0] - left[1] == 2 and left[1] - left[2] == 1
    assert all(
        c.response_headers["X-RateLimit-Limit-Minute"] == "200" for c in fake.calls if c.path != TOKEN_PATH
    )


async def test_the_pacer_spreads_the_last_requests_before_a_429_comes(
    fake: FakeHelpScout, make_client: Callable[..., HelpScoutClient], sleeps: SleepRecorder
) -> None:
    fake.rate_window.limit = 14
    fake.enforce_rate_limit = True
    client = make_client()
    for _ in range(7):
        await client.me()
    # 14 a minute, a reserve of 10: once 10 are left, each request waits its share of the minute
    assert len(sleeps.delays) == 3 and all(0 < d <= 60 for d in sleeps.delays)
    assert all(c.status == 200 for c in fake.calls)


async def test_a_spent_minute_is_a_429_whose_wait_is_honoured(
    fake: FakeHelpScout, make_client: Callable[..., HelpScoutClient], sleeps: SleepRecorder
) -> None:
    fake.fail_next(2, status=429, retry_after=7, path="/v2/users/me")
    await make_client().me()
    assert sleeps.delays == [7.0, 7.0]
    fake.fail_next(1, status=429, retry_after=600, path="/v2/users/me")
    with pytest.raises(RateLimited) as caught:
        await make_client().me()
    assert caught.value.retry_after == 600 and caught.value.retryable


async def test_hal_pages_are_followed_to_the_end(
    fake: FakeHelpScout, make_client: Callable[..., HelpScoutClient]
) -> None:
    for n in range(5):
        fake.add_user(f"Agent {n}", f"agent{n}@shop.example")
    users = [u async for u in make_client().users()]
    assert len(users) == 6 and len({u.id for u in users}) == 6  # the owner and five, two a page
    pages = [c.param("page") for c in fake.calls_to("GET", "/v2/users")]
    assert pages == ["1", "2", "3"]
    assert [t async for t in make_client().teams()] == []  # an empty list has no _embedded


async def test_answers_become_typed_errors(
    fake: FakeHelpScout, make_client: Callable[..., HelpScoutClient]
) -> None:
    client = make_client()
    cid = conversation(fake)
    with pytest.raises(ValidationFailed) as invalid:
        await client.patch(cid, "replace", "/status", "Wrong")
    assert invalid.value.errors[0].path == "status" and invalid.value.log_ref
    assert "Expected one of these" in str(invalid.value)
    with pytest.raises(ConversationGone):
        await client.conversation(987654321)
    other = conversation(fake)
    fake.merge(cid, other, fake.owner["id"])
    with pytest.raises(ConversationGone) as merged:
        await client.conversation(cid)
    assert (
        merged.value.status == 301 and merged.value.moved_to and merged.value.moved_to.endswith(f"/{other}")
    )
    with pytest.raises(ConversationGone):
        await client.add_note(cid, "to the old id")
    fake.fail_next(5, status=502, path=f"/v2/conversations/{other}")
    with pytest.raises(ServerError):
        await client.conversation(other)


async def test_a_conversation_of_99_threads_takes_no_more(
    fake: FakeHelpScout, make_client: Callable[..., HelpScoutClient]
) -> None:
    cid = conversation(fake)
    for n in range(98):
        fake.customer_writes(cid, f"again {n}")
    with pytest.raises(ThreadLimitReached) as caught:
        await make_client().add_note(cid, "one more")
    assert caught.value.status == 412 and len(fake.threads(cid)) == 99


async def test_a_created_thread_answers_201_with_its_resource_id(
    fake: FakeHelpScout, make_client: Callable[..., HelpScoutClient]
) -> None:
    cid = conversation(fake)
    thread_id = await make_client().add_note(cid, "Refund approved", status="active")
    (call,) = fake.calls_to("POST", f"/v2/conversations/{cid}/notes")
    assert call.status == 201 and call.response is None and call.response_headers["Resource-ID"] == thread_id
    assert fake.threads(cid)[-1]["createdBy"]["id"] == fake.owner["id"]  # the resource owner
