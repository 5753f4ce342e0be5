"""Zendesk credentials: an API token (with the agent's email) or an OAuth access token.

Both become one ``Authorization`` header (CONTRACTS.md §1.1). Secrets are kept out of ``repr``
so a credential that ends up in a log line or a traceback does not leak.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ApiToken:
    """API-token auth: ``Basic base64("{email}/token:{token}")``.

    Attributes:
        email: The agent or admin the calls act as.
        token: The API token (Admin Center > Apps and integrations > APIs).
    """

    email: str
    token: str = field(repr=False)

    def header(self) -> str:
        """The ``Authorization`` header value."""
        raw = f"{self.email}/token:{self.token}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True)
class OAuthToken:
    """OAuth auth: ``Bearer {access_token}``.

    Attributes:
        access_token: The OAuth access token.
    """

    access_token: str = field(repr=False)

    def header(self) -> str:
        """The ``Authorization`` header value."""
        return f"Bearer {self.access_token}"


Credentials = ApiToken | OAuthToken
