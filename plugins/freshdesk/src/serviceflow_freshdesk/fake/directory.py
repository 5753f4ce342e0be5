"""The fake Freshdesk's people and places: contacts, agents, groups, companies, support mailboxes.

Kept apart from the tickets (:mod:`.state`) so each module has one job; both share the account's
lock. Objects are stored as the JSON Freshdesk returns and every read hands out a deep copy.
Agents are contacts too (their agent id is their contact id here, a simplification: the agent id
*is* the user id in Freshdesk, research C2, so the API never tells the two apart).
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .records import (
    Json,
    agent_record,
    company_record,
    contact_record,
    email_config_record,
    group_record,
    not_found,
)


@dataclass
class _Counters:
    contacts: Iterator[int] = field(default_factory=lambda: itertools.count(80001))
    groups: Iterator[int] = field(default_factory=lambda: itertools.count(70001))
    companies: Iterator[int] = field(default_factory=lambda: itertools.count(60001))
    email_configs: Iterator[int] = field(default_factory=lambda: itertools.count(50001))


class Directory:
    """Who and what a fake account knows besides its tickets. Thread-safe under ``lock``."""

    def __init__(self, lock: threading.RLock, now: Callable[[], str]) -> None:
        self.lock = lock
        self._now = now
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.contacts: dict[int, Json] = {}
            self.agents: dict[int, Json] = {}
            self.groups: dict[int, Json] = {}
            self.companies: dict[int, Json] = {}
            self.email_configs: dict[int, Json] = {}
            self._ids = _Counters()

    # ------------------------------------------------------------------ seeding

    def add_contact(self, name: str, *, email: str | None = None, **extra: Any) -> Json:
        """Create a contact (a customer); ``company_id`` puts them in a company."""
        with self.lock:
            company = extra.get("company_id")
            if company is not None and company not in self.companies:
                raise KeyError(f"no company {company}")
            contact_id = next(self._ids.contacts)
            contact = contact_record(contact_id, name, email, now=self._now())
            contact.update(extra)
            self.contacts[contact_id] = contact
            return copy.deepcopy(contact)

    def add_group(self, name: str, **extra: Any) -> Json:
        """Create a group."""
        with self.lock:
            group_id = next(self._ids.groups)
            group = group_record(group_id, name, now=self._now())
            group.update(extra)
            self.groups[group_id] = group
            return copy.deepcopy(group)

    def add_agent(self, name: str, *, email: str, group_ids: Iterable[int] = (), **extra: Any) -> Json:
        """Create an agent (and its contact) in ``group_ids``.

        Raises:
            KeyError: a group does not exist (a seeding mistake, not an API error).
        """
        with self.lock:
            groups = list(group_ids)
            for group_id in groups:
                if group_id not in self.groups:
                    raise KeyError(f"no group {group_id}")
            contact = self.add_contact(name, email=email)
            agent = agent_record(contact["id"], contact, group_ids=groups, now=self._now())
            agent.update(extra)
            self.agents[agent["id"]] = agent
            for group_id in groups:
                self.groups[group_id]["agent_ids"].append(agent["id"])
            return copy.deepcopy(agent)

    def add_company(
        self,
        name: str,
        *,
        domains: Iterable[str] = (),
        custom_fields: dict[str, Any] | None = None,
        **extra: Any,
    ) -> Json:
        """Create a company with its email ``domains`` and ``custom_fields``."""
        with self.lock:
            company_id = next(self._ids.companies)
            company = company_record(
                company_id,
                name,
                domains=list(domains),
                custom_fields=dict(custom_fields or {}),
                now=self._now(),
            )
            company.update(extra)
            self.companies[company_id] = company
            return copy.deepcopy(company)

    def add_email_config(self, reply_email: str, *, name: str = "Support", **extra: Any) -> Json:
        """Create a support mailbox (an email config) whose address is ``reply_email``."""
        with self.lock:
            config_id = next(self._ids.email_configs)
            config = email_config_record(config_id, name, reply_email, now=self._now())
            config.update(extra)
            self.email_configs[config_id] = config
            return copy.deepcopy(config)

    def deactivate_contact(self, contact_id: int) -> None:
        """Mark a contact (or an agent's contact) inactive."""
        with self.lock:
            self.contacts[contact_id]["active"] = False
            if contact_id in self.agents:
                self.agents[contact_id]["contact"]["active"] = False

    # ------------------------------------------------------------------ reads

    def list_agents(self) -> list[Json]:
        """Agents by id, as List All Agents shows them: without ``group_ids`` (FD-docs lines
        6522-6560; View an Agent and ``/agents/me`` have them)."""
        with self.lock:
            ordered = sorted(self.agents.values(), key=lambda a: a["id"])
            return [{k: v for k, v in copy.deepcopy(a).items() if k != "group_ids"} for a in ordered]

    def get_agent(self, agent_id: int) -> Json:
        """An agent; 404 when missing."""
        return self._one(self.agents, agent_id)

    def list_groups(self) -> list[Json]:
        """Groups by id, as List All Groups shows them: without ``agent_ids`` (FD-docs lines
        7483-7500; View a Group has them, :meth:`get_group`)."""
        with self.lock:
            ordered = sorted(self.groups.values(), key=lambda g: g["id"])
            return [{k: v for k, v in copy.deepcopy(g).items() if k != "agent_ids"} for g in ordered]

    def get_group(self, group_id: int) -> Json:
        """A group with its ``agent_ids`` (View a Group, FD-docs lines 7465-7481); 404 when missing."""
        return self._one(self.groups, group_id)

    def get_contact(self, contact_id: int) -> Json:
        """A contact; 404 when missing."""
        return self._one(self.contacts, contact_id)

    def get_company(self, company_id: int) -> Json:
        """A company (``GET /api/v2/companies/{id}``); 404 when missing."""
        return self._one(self.companies, company_id)

    def get_email_config(self, config_id: int) -> Json:
        """A support mailbox (``GET /api/v2/email_configs/{id}``); 404 when missing."""
        return self._one(self.email_configs, config_id)

    def agent_emails(self) -> dict[str, int]:
        """Every agent's primary email (lower-cased) -> agent id: the addresses ``notify_emails``
        may name (Freshdesk compares with ``agents_from_cache.map { |x| x.user.email }``)."""
        with self.lock:
            return {
                str(a["contact"]["email"]).casefold(): a["id"]
                for a in self.agents.values()
                if a["contact"].get("email")
            }

    def _one(self, table: dict[int, Json], key: int) -> Json:
        with self.lock:
            if key not in table:
                raise not_found()
            return copy.deepcopy(table[key])
