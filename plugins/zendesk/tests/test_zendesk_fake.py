"""The fake Zendesk over raw HTTP: the contract it promises to plugin authors (CONTRACTS.md §1):
authentication and routing, tickets, tags, lists and paging. Its server side (rate limits,
faults, the call record, its lifecycle) is ``test_zendesk_fake_server.py``."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import httpx
import pytest
from serviceflow_zendesk.fake import FakeZendesk


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}", "Accept": "application/json"}


# ---------------------------------------------------------------------- auth and routing


def test_both_path_forms_are_served(fake: FakeZendesk, http: httpx.Client) -> None:
    ticket = fake.add_ticket("Printer on fire")
    plain, suffixed = (
        http.get(f"/api/v2/tickets/{ticket['id']}"),
        http.get(f"/api/v2/tickets/{ticket['id']}.json"),
    )
    assert plain.status_code == suffixed.status_code == 200
    assert plain.json() == suffixed.json() == {"ticket": ticket}
    assert [c.route for c in fake.calls] == ["/api/v2/tickets/{ticket_id}"] * 2


@pytest.mark.parametrize(
    "headers",
    [
        {"Accept": "application/json"},
        basic("admin@example.com", "fake-api-token"),  # password auth: legacy, off
        basic("admin@example.com/token", "wrong"),
        {"Authorization": "Bearer wrong", "Accept": "application/json"},
        {"Authorization": "Basic !!!", "Accept": "application/json"},
    ],
    ids=["none", "password", "wrong-token", "wrong-bearer", "garbage"],
)
def test_unauthenticated_requests_get_zendesk_401(fake: FakeZendesk, headers: dict[str, str]) -> None:
    response = httpx.get(f"{fake.base_url}/api/v2/tickets", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"error": "Couldn't authenticate you"}


def test_end_users_cannot_use_the_api_token(fake: FakeZendesk) -> None:
    customer = fake.add_user("Customer", email="customer@example.com")
    response = httpx.get(
        f"{fake.base_url}/api/v2/users/{customer['id']}",
        headers=basic("customer@example.com/token", fake.api_token),
    )
    assert response.status_code == 401


def test_oauth_and_extra_tokens(fake: FakeZendesk) -> None:
    agent = fake.add_agent("Ada", email="ada@example.com")
    fake.add_oauth_token("ada-oauth", agent["id"])
    fake.add_api_token("second-token")
    me = httpx.get(
        f"{fake.base_url}/api/v2/users/me",
        headers={"Authorization": "Bearer ada-oauth", "Accept": "application/json"},
    )
    assert me.json()["user"]["id"] == agent["id"]
    assert (
        httpx.get(
            f"{fake.base_url}/api/v2/users/me", headers=basic("ada@example.com/token", "second-token")
        ).status_code
        == 200
    )


@pytest.mark.oas_exempt
def test_unknown_endpoints_and_methods_are_invalid_endpoint(fake: FakeZendesk, http: httpx.Client) -> None:
    ticket = fake.add_ticket()
    for response in (http.get("/api/v2/nothing"), http.patch(f"/api/v2/tickets/{ticket['id']}", json={})):
        assert response.status_code == 404
        assert response.json() == {"error": "InvalidEndpoint", "description": "Not found"}


@pytest.mark.oas_exempt
def test_a_body_that_is_not_json_is_a_400(fake: FakeZendesk, http: httpx.Client) -> None:
    ticket = fake.add_ticket()
    response = http.put(
        f"/api/v2/tickets/{ticket['id']}", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.json()["error"] == "InvalidJSON"


# ---------------------------------------------------------------------- tickets


def test_create_ticket(fake: FakeZendesk, http: httpx.Client) -> None:
    requester = fake.add_user("Bo")
    response = http.post(
        "/api/v2/tickets.json",
        json={
            "ticket": {
                "subject": "Charged twice",
                "comment": {"body": "I was charged twice."},
                "requester_id": requester["id"],
                "priority": "high",
            }
        },
    )
    assert response.status_code == 201
    ticket = response.json()["ticket"]
    assert response.headers["location"] == f"{fake.base_url}/api/v2/tickets/{ticket['id']}.json"
    assert (ticket["status"], ticket["priority"], ticket["description"]) == (
        "new",
        "high",
        "I was charged twice.",
    )
    assert ticket["submitter_id"] == fake.admin["id"] and ticket["requester_id"] == requester["id"]
    assert {e["type"] for e in response.json()["audit"]["events"]} == {"Comment", "Create"}
    assert fake.comments(ticket["id"])[0]["body"] == "I was charged twice."


def test_update_returns_ticket_and_audit_and_moves_updated_at(fake: FakeZendesk, http: httpx.Client) -> None:
    ticket = fake.add_ticket(updated_at="2020-01-01T00:00:00Z")
    response = http.put(
        f"/api/v2/tickets/{ticket['id']}", json={"ticket": {"status": "open", "priority": "low"}}
    )
    body = response.json()
    assert response.status_code == 200 and body["ticket"]["status"] == "open"
    assert body["ticket"]["updated_at"] > "2020-01-01T00:00:00Z"
    assert response.headers["zendesk-ratelimit-tickets-update"].startswith("total=100; remaining=")
    changes = {(e["field_name"], e["previous_value"], e["value"]) for e in body["audit"]["events"]}
    assert changes == {("status", "new", "open"), ("priority", None, "low")}


def test_updated_at_moves_only_when_something_changed(fake: FakeZendesk, http: httpx.Client) -> None:
    ticket = fake.add_ticket(status="open")
    same = http.put(f"/api/v2/tickets/{ticket['id']}", json={"ticket": {"status": "open"}}).json()["ticket"]
    assert same["updated_at"] == ticket["updated_at"]


def test_updated_at_moves_even_under_a_frozen_clock() -> None:
    frozen = datetime(2026, 1, 1, tzinfo=UTC)
    with FakeZendesk(clock=lambda: frozen) as fake:
        ticket = fake.add_ticket()
        first = fake.update_ticket(ticket["id"], {"status": "open"})
        second = fake.update_ticket(ticket["id"], {"status": "pending"})
    assert ticket["updated_at"] < first["updated_at"] < second["updated_at"]


def test_stale_updated_stamp_is_409_and_changes_nothing(fake: FakeZendesk, http: httpx.Client) -> None:
    ticket = fake.add_ticket()
    fake.update_ticket(ticket["id"], {"priority": "urgent"})  # someone else, after our read
    response = http.put(
        f"/api/v2/tickets/{ticket['id']}",
        json={"ticket": {"status": "solved", "safe_update": True, "updated_stamp": ticket["updated_at"]}},
    )
    assert response.status_code == 409
    assert response.json()["error"] == "UpdateConflict"
    assert "outdated ticket data" in response.json()["description"]
    assert fake.ticket(ticket["id"])["status"] == "new"


def test_without_safe_update_the_last_writer_wins(fake: FakeZendesk, http: httpx.Client) -> None:
    ticket = fake.add_ticket()
    fake.update_ticket(ticket["id"], {"status": "pending"})
    response = http.put(
        f"/api/v2/tickets/{ticket['id']}",
        json={"ticket": {"status": "open", "updated_stamp": ticket["updated_at"]}},
    )
    assert response.status_code == 200 and fake.ticket(ticket["id"])["status"] == "open"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"status": "bogus"}, "status"),
        ({"priority": "meh"}, "priority"),
        ({"assignee_id": 1}, "assignee"),
        ({"group_id": 99}, "group"),
        ({"comment": {"body": ""}}, "comment"),
    ],
)
@pytest.mark.oas_exempt  # some of these values are outside the OAS enums, on purpose
def test_invalid_values_are_record_invalid(
    fake: FakeZendesk, http: httpx.Client, changes: dict[str, object], field: str
) -> None:
    ticket = fake.add_ticket()
    response = http.put(f"/api/v2/tickets/{ticket['id']}", json={"ticket": changes})
    assert response.status_code == 422
    body = response.json()
    assert (body["error"], body["description"]) == ("RecordInvalid", "Record validation errors")
    assert field in body["details"]


def test_end_user_cannot_be_assignee(fake: FakeZendesk, http: httpx.Client) -> None:
    ticket, customer = fake.add_ticket(), fake.add_user("Customer")
    response = http.put(f"/api/v2/tickets/{ticket['id']}", json={"ticket": {"assignee_id": customer["id"]}})
    assert response.status_code == 422 and "assignee" in response.json()["details"]


def test_closed_tickets_are_read_only(fake: FakeZendesk, http: httpx.Client) -> None:
    ticket = fake.add_ticket(status="closed")
    for response in (
        http.put(f"/api/v2/tickets/{ticket['id']}", json={"ticket": {"status": "open"}}),
        http.put(f"/api/v2/tickets/{ticket['id']}/tags", json={"tags": ["x"]}),
    ):
        assert response.status_code == 422
        assert (
            response.json()["details"]["status"][0]["description"] == "Status: closed prevents ticket update"
        )


def test_missing_records_are_record_not_found(fake: FakeZendesk, http: httpx.Client) -> None:
    for path in (
        "/api/v2/tickets/9",
        "/api/v2/users/9",
        "/api/v2/tickets/9/comments",
        "/api/v2/job_statuses/abc",
    ):
        response = http.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"error": "RecordNotFound", "description": "Not found"}


def test_assignee_brings_their_default_group(fake: FakeZendesk, http: httpx.Client) -> None:
    billing, logistics = fake.add_group("Billing"), fake.add_group("Logistics")
    ada = fake.add_agent("Ada", groups=[logistics["id"]])
    ticket = fake.add_ticket(group_id=billing["id"])
    updated = http.put(f"/api/v2/tickets/{ticket['id']}", json={"ticket": {"assignee_id": ada["id"]}}).json()[
        "ticket"
    ]
    assert (updated["assignee_id"], updated["group_id"]) == (ada["id"], logistics["id"])
    both = http.put(
        f"/api/v2/tickets/{ticket['id']}",
        json={"ticket": {"assignee_id": ada["id"], "group_id": billing["id"]}},
    )
    assert both.status_code == 422  # an explicit group the agent is not in


def test_comments_public_and_internal(fake: FakeZendesk, http: httpx.Client) -> None:
    ticket = fake.add_ticket(description="Where is my refund?")
    http.put(
        f"/api/v2/tickets/{ticket['id']}",
        json={"ticket": {"comment": {"body": "Asked finance", "public": False}}},
    )
    http.put(f"/api/v2/tickets/{ticket['id']}", json={"ticket": {"comment": {"body": "On its way"}}})
    comments = http.get(f"/api/v2/tickets/{ticket['id']}/comments").json()["comments"]
    assert [(c["body"], c["public"], c["type"]) for c in comments] == [
        ("Where is my refund?", True, "Comment"),
        ("Asked finance", False, "Comment"),
        ("On its way", True, "Comment"),  # public defaults to the ticket's (public) creation
    ]
    newest = http.get(f"/api/v2/tickets/{ticket['id']}/comments", params={"sort_order": "desc"}).json()[
        "comments"
    ]
    assert newest[0]["body"] == "On its way"


def test_single_ticket_additional_tags_are_refused_as_unverified(
    fake: FakeZendesk, http: httpx.Client
) -> None:
    ticket = fake.add_ticket()
    response = http.put(f"/api/v2/tickets/{ticket['id']}", json={"ticket": {"additional_tags": ["x"]}})
    assert response.status_code == 422 and response.json()["error"] == "FakeUnverifiedBehaviour"


# ---------------------------------------------------------------------- tags


def test_tag_semantics(fake: FakeZendesk, http: httpx.Client) -> None:
    ticket = fake.add_ticket(tags=["VIP", "billing refund"])
    assert fake.ticket(ticket["id"])["tags"] == ["vip", "billing", "refund"]  # lower-case words
    path = f"/api/v2/tickets/{ticket['id']}/tags"
    assert http.put(path, json={"tags": ["urgent", "vip"]}).json() == {
        "tags": ["vip", "billing", "refund", "urgent"]
    }
    deleted = http.request("DELETE", path, json={"tags": ["billing"]})
    assert deleted.status_code == 204 and deleted.content == b""
    assert http.get(path).json() == {"tags": ["vip", "refund", "urgent"]}
    created = http.post(path, json={"tags": ["only"]})
    assert (created.status_code, created.json()) == (201, {"tags": ["only"]})
    replaced = http.put(f"/api/v2/tickets/{ticket['id']}", json={"ticket": {"tags": ["a", "b"]}})
    assert replaced.json()["ticket"]["tags"] == ["a", "b"]


def test_tags_endpoint_honours_safe_update_with_string_true(fake: FakeZendesk, http: httpx.Client) -> None:
    ticket = fake.add_ticket()
    fake.update_ticket(ticket["id"], {"status": "open"})
    response = http.put(
        f"/api/v2/tickets/{ticket['id']}/tags",
        json={"tags": ["customer"], "safe_update": "true", "updated_stamp": ticket["updated_at"]},
    )
    assert response.status_code == 409 and fake.ticket(ticket["id"])["tags"] == []


# ---------------------------------------------------------------------- lists and paging


def test_cursor_pagination_shape(fake: FakeZendesk, http: httpx.Client) -> None:
    ids = [fake.add_ticket(f"t{n}")["id"] for n in range(5)]
    first = http.get("/api/v2/tickets", params={"page[size]": 2}).json()
    assert [t["id"] for t in first["tickets"]] == ids[:2]
    assert first["meta"]["has_more"] is True and first["meta"]["after_cursor"]
    assert first["links"]["next"].startswith(f"{fake.base_url}/api/v2/tickets.json?page[size]=2&page[after]=")
    seen = [t["id"] for t in first["tickets"]]
    page = first
    while page["meta"]["has_more"]:
        page = http.get(
            "/api/v2/tickets", params={"page[size]": 2, "page[after]": page["meta"]["after_cursor"]}
        ).json()
        seen += [t["id"] for t in page["tickets"]]
    assert seen == ids
    back = http.get(
        "/api/v2/tickets", params={"page[size]": 2, "page[before]": page["meta"]["before_cursor"]}
    ).json()
    assert [t["id"] for t in back["tickets"]] == ids[2:4]


def test_offset_pagination_shape(fake: FakeZendesk, http: httpx.Client) -> None:
    ids = [fake.add_ticket(f"t{n}")["id"] for n in range(5)]
    page = http.get("/api/v2/tickets", params={"per_page": 2, "page": 2}).json()
    assert [t["id"] for t in page["tickets"]] == ids[2:4]
    assert page["count"] == 5
    assert page["next_page"].endswith("page=3&per_page=2") and page["previous_page"].endswith(
        "page=1&per_page=2"
    )
    last = http.get("/api/v2/tickets", params={"per_page": 2, "page": 3}).json()
    assert last["next_page"] is None


@pytest.mark.parametrize(
    "params",
    [
        {"page[size]": "101"},
        {"page[size]": "0"},
        {"page[size]": "2", "page[after]": "garbage!"},
        {"page": "101", "per_page": "100"},
    ],
    ids=["size-over-100", "size-zero", "bad-cursor", "offset-past-10000"],
)
def test_bad_paging_is_a_400(fake: FakeZendesk, http: httpx.Client, params: dict[str, str]) -> None:
    response = http.get("/api/v2/tickets", params=params)
    assert response.status_code == 400 and response.json()["error"] == "InvalidPaginationParameter"


def test_users_groups_and_memberships(fake: FakeZendesk, http: httpx.Client) -> None:
    group = fake.add_group("Billing")
    ada = fake.add_agent("Ada", groups=[group["id"]])
    fake.add_user("Customer")
    agents = http.get("/api/v2/users", params={"role": "agent"}).json()["users"]
    assert [u["id"] for u in agents] == [ada["id"]]
    staff = http.get("/api/v2/users", params=[("role[]", "agent"), ("role[]", "admin")]).json()["users"]
    assert {u["role"] for u in staff} == {"agent", "admin"}
    assert http.get(f"/api/v2/users/{ada['id']}").json()["user"]["default_group_id"] == group["id"]
    assert [g["name"] for g in http.get("/api/v2/groups").json()["groups"]] == ["Billing"]
    memberships = http.get(f"/api/v2/groups/{group['id']}/memberships").json()["group_memberships"]
    assert [(m["user_id"], m["default"]) for m in memberships] == [(ada["id"], True)]


def test_merge_is_a_job(fake: FakeZendesk, http: httpx.Client) -> None:
    target, source = fake.add_ticket("Refund"), fake.add_ticket("Refund again")
    response = http.post(
        f"/api/v2/tickets/{target['id']}/merge",
        json={"ids": [source["id"]], "source_comment_is_public": True},
    )
    job = response.json()["job_status"]
    assert (response.status_code, job["status"]) == (200, "queued")
    shown = http.get(f"/api/v2/job_statuses/{job['id']}.json").json()["job_status"]
    assert (shown["status"], shown["total"], shown["progress"]) == ("completed", 1, 1)
    assert fake.ticket(source["id"])["status"] == "closed"
    assert fake.comments(source["id"])[-1]["public"] is True
    again = http.post(f"/api/v2/tickets/{target['id']}/merge", json={"ids": [source["id"]]})
    assert again.status_code == 422  # closed tickets cannot be merged
