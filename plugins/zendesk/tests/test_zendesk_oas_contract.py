"""The OAS itself: the extract is faithful, the validator bites, and the fake answers in shape."""

from __future__ import annotations

import json

import httpx
import pytest
from serviceflow_zendesk.client import ZendeskClient
from serviceflow_zendesk.fake import FakeZendesk
from serviceflow_zendesk.fake.oas import OasContract
from zendesk_oas import SUBSET_FILE, find_full_spec, regenerate

JSON = {"accept": "application/json", "content-type": "application/json"}


def test_extract_matches_the_official_spec() -> None:
    full = find_full_spec()
    if full is None or full.suffix != ".yaml":
        pytest.skip("shared/vendor/zendesk-support-openapi.yaml is not beside this checkout")
    committed = json.loads(SUBSET_FILE.read_text())
    assert regenerate(full) == committed, "run: .venv/bin/python plugins/zendesk/tests/zendesk_oas.py"


def test_the_check_knows_every_path_of_the_spec(oas: OasContract) -> None:
    assert len(oas.operations) == 352
    assert oas.operations["/api/v2/tickets/{ticket_id}"] == ["get", "put", "delete"]


def test_the_check_is_the_full_oas_here(oas: OasContract) -> None:
    if find_full_spec() is None or not oas.full:
        pytest.skip("shared/vendor/zendesk-support-openapi.yaml is not beside this checkout")
    assert oas.full and len(oas.spec["paths"]) == 352  # every operation, not an extract
    # An operation the plugin never calls is judged by the OAS too, not "not extracted".
    assert oas.check_request("GET", "/api/v2/macros", [("access", "personal")], JSON, b"") == []
    problems = oas.check_request("GET", "/api/v2/macros", [("bogus", "1")], JSON, b"")
    assert problems and "not documented" in problems[0] and "extract" not in problems[0], problems


def body(document: object) -> bytes:
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("method", "path", "query", "payload", "problem"),
    [
        ("GET", "/api/v2/nowhere", [], None, "no such path"),
        ("PATCH", "/api/v2/tickets/1", [], None, "no PATCH"),
        ("GET", "/api/v2/tickets/1", [("include", "everything")], None, "does not match"),
        ("GET", "/api/v2/groups/abc/memberships", [], None, "is not a integer"),
        (
            "PUT",
            "/api/v2/tickets/1",
            [],
            {"ticket": {"followers": [{"user_id": 5, "action": "put"}]}},
            "5 is not of type 'string'",
        ),
        (
            "PUT",
            "/api/v2/tickets/1",
            [],
            {"ticket": {"followers": [{"user_id": "5", "action": "add"}]}},
            "'add' is not one of",
        ),
        ("GET", "/api/v2/group_memberships", [("group_id", "5")], None, "not documented"),
        ("GET", "/api/v2/tickets/abc", [], None, "is not a integer"),
        ("GET", "/api/v2/users", [("role", "boss")], None, "'boss' is not one of"),
        ("GET", "/api/v2/tickets", [("sort_by", "id")], None, "not documented"),
        ("PUT", "/api/v2/tickets/1", [("page[size]", "2")], {"ticket": {}}, "not documented"),
        ("PUT", "/api/v2/tickets/1", [], {"ticket": {"status": "done"}}, "'done' is not one of"),
        ("PUT", "/api/v2/tickets/1", [], {"ticket": {"updated_stamp": "yesterday"}}, "date-time"),
        ("PUT", "/api/v2/tickets/1", [], {"ticket": {"comment": {"id": 5, "body": "x"}}}, "read-only"),
        ("PUT", "/api/v2/tickets/1/tags", [], {"tag": ["x"]}, "'tags' is a required property"),
        ("POST", "/api/v2/tickets/1/merge", [], {"ids": ["2"]}, "'2' is not of type 'integer'"),
        ("GET", "/api/v2/tickets/1", [], {"unexpected": True}, "no request body"),
    ],
)
def test_validator_refuses_what_the_spec_does_not_allow(
    oas: OasContract, method: str, path: str, query: list[tuple[str, str]], payload: object, problem: str
) -> None:
    raw = body(payload) if payload is not None else b""
    problems = oas.check_request(method, path, query, JSON, raw)
    assert any(problem in p for p in problems), problems


def test_validator_accepts_documented_requests(oas: OasContract) -> None:
    ok = [
        ("GET", "/api/v2/tickets.json", [("page[size]", "100"), ("page[after]", "abc")], None),
        ("GET", "/api/v2/users", [("role[]", "agent"), ("role[]", "admin")], None),
        ("GET", "/api/v2/groups/5/memberships", [("page[size]", "100")], None),
        ("GET", "/api/v2/users/7/group_memberships", [], None),
        ("GET", "/api/v2/tickets/1", [("include", "users,organizations")], None),
        (
            "PUT",
            "/api/v2/tickets/1",
            [],
            {
                "ticket": {
                    "followers": [{"user_id": "5", "action": "put"}],
                    "safe_update": True,
                    "updated_stamp": "2021-03-25T05:09:27Z",
                }
            },
        ),
        ("GET", "/api/v2/tickets/1/comments", [("sort", "-created_at")], None),
        (
            "PUT",
            "/api/v2/tickets/1",
            [],
            {"ticket": {"status": "open", "safe_update": True, "updated_stamp": "2021-03-25T05:09:27Z"}},
        ),
        (
            "DELETE",
            "/api/v2/tickets/1/tags",
            [],
            {"tags": ["a"], "safe_update": "true", "updated_stamp": "2019-09-12T21:45:16Z"},
        ),
    ]
    for method, path, query, payload in ok:
        raw = body(payload) if payload is not None else b""
        assert oas.check_request(method, path, query, JSON, raw) == [], (method, path)


def test_validator_wants_json_headers(oas: OasContract) -> None:
    problems = oas.check_request("PUT", "/api/v2/tickets/1", [], {}, body({"ticket": {}}))
    assert any("Accept" in p for p in problems) and any("Content-Type" in p for p in problems)


async def test_fake_responses_match_the_oas(
    fake: FakeZendesk, client: ZendeskClient, oas: OasContract
) -> None:
    group = fake.add_group("Billing")
    agent = fake.add_agent("Ada", groups=[group["id"]])
    ticket = await client.create_ticket(
        {"subject": "Charged twice", "comment": {"body": "Twice!"}, "priority": "high"}
    )
    other = fake.add_ticket("Duplicate")
    await client.update_ticket(ticket.id, {"assignee_id": agent["id"], "status": "open"})
    await client.add_comment(ticket.id, "note", public=False)
    await client.add_tags(ticket.id, ["refund"])
    await client.set_tags(ticket.id, ["refund", "vip"])
    await client.remove_tags(ticket.id, ["vip"])
    [c async for c in client.list_comments(ticket.id)]
    [t async for t in client.list_tickets()]
    [u async for u in client.list_agents()]
    [g async for g in client.list_groups()]
    [m async for m in client.list_memberships()]
    await client.get_user(agent["id"])
    await client.me()
    job = await client.merge(ticket.id, [other["id"]])
    await client.wait_for_job(job.id)
    suspended = [fake.add_suspended(f"s{i}@example.net", subject="Hi", content="Hello") for i in range(5)]
    [s async for s in client.list_suspended_tickets()]
    await client.get_suspended_ticket(suspended[0]["id"])
    await client.recover_suspended_ticket(suspended[0]["id"])
    await client.delete_suspended_ticket(suspended[1]["id"])
    with httpx.Client(
        base_url=fake.base_url, auth=(f"{fake.email}/token", fake.api_token), headers=JSON
    ) as http:
        http.get(f"/api/v2/tickets/{ticket.id}/tags")
        http.get("/api/v2/tickets", params={"per_page": 1})
        http.put(f"/api/v2/suspended_tickets/{suspended[2]['id']}/recover")
        http.delete("/api/v2/suspended_tickets/destroy_many", params={"ids": str(suspended[3]["id"])})

    checked = {(c.method, c.route) for c in fake.calls}
    assert len(checked) == 22, sorted(checked)  # every route the fake serves
    for call in fake.calls:
        assert 200 <= call.status < 300, (call.method, call.path, call.response)
        assert oas.check_response(call.method, call.path, call.status, call.response) == [], (
            call.method,
            call.path,
        )


def test_response_check_reports_undocumented_statuses_and_shapes(oas: OasContract) -> None:
    assert "not documented" in oas.check_response("GET", "/api/v2/tickets/1", 418, {})[0]
    assert oas.check_response("GET", "/api/v2/tickets/1", 200, {"ticket": {"id": "one", "requester_id": 1}})
    assert (
        oas.check_response(
            "GET", "/api/v2/tickets/1", 200, {"ticket": {"id": 1, "requester_id": 1, "assignee_id": None}}
        )
        == []
    )


def test_the_fake_refuses_a_request_off_the_contract(fake_server: FakeZendesk) -> None:
    """The fake's own check (hold_to_oas): off-contract requests are a 400 and a violation."""
    fake_server.reset()
    fake_server.hold_to_oas(find_full_spec() or SUBSET_FILE)
    try:
        with httpx.Client(
            base_url=fake_server.base_url,
            auth=(f"{fake_server.email}/token", fake_server.api_token),
            headers=JSON,
        ) as http:
            group = fake_server.add_group("Leads")
            off = http.get("/api/v2/group_memberships", params={"group_id": group["id"]})
            assert off.status_code == 400 and off.json()["error"] == "FakeContractViolation"
            assert "query parameter 'group_id' is not documented" in off.json()["description"]
            bad_follower = {"ticket": {"followers": [{"user_id": 5, "action": "put"}]}}
            assert http.put("/api/v2/tickets/1", json=bad_follower).status_code == 400
            assert http.get(f"/api/v2/groups/{group['id']}/memberships").status_code == 200
        assert [info.path for info, _ in fake_server.violations] == [
            "/api/v2/group_memberships",
            "/api/v2/tickets/1",
        ]
    finally:
        fake_server.request_check = None
        fake_server.reset()
