"""REST plumbing for helpdesk plugins: one transport, its errors, retries, pacing, client reuse.

Every helpdesk plugin talks to a REST API over ``httpx`` and must ride out the same failures the
same way: :class:`RestTransport` does it once (:mod:`.transport`), with :class:`RetryPolicy`
(:mod:`.retry`) and rate-limit pacing (:mod:`.ratelimit`), configured by one
:class:`TransportOptions` (:mod:`.options`) that every plugin's client takes. What stays in a
plugin is the vendor's: authentication, the status -> error mapping (:class:`ErrorMapper`,
error classes derived from :mod:`.errors`), and pagination. :class:`ClientCache`
(:mod:`.cache`) keeps one client per settings and event loop.
"""

from serviceflow.plugins.http.cache import ClientCache
from serviceflow.plugins.http.errors import (
    NOT_SENT,
    ApiError,
    RateLimited,
    ServerError,
    TransportFailed,
    is_retry_safe,
    request_url,
)
from serviceflow.plugins.http.options import TransportKnobs, TransportOptions, options_for
from serviceflow.plugins.http.ratelimit import (
    IETF_HEADERS,
    X_RATE_LIMIT_HEADERS,
    X_RATELIMIT_HEADERS,
    Pacer,
    RateBudget,
    RateReader,
    header_reader,
    most_restrictive,
    structured_reader,
)
from serviceflow.plugins.http.retry import (
    NOT_RETRIED_5XX,
    RetryPolicy,
    Sleep,
    backoff_delay,
    parse_retry_after,
)
from serviceflow.plugins.http.transport import (
    IDEMPOTENT_METHODS,
    ErrorMapper,
    Params,
    RestTransport,
    VendorErrors,
)

__all__ = [
    "IDEMPOTENT_METHODS",
    "IETF_HEADERS",
    "NOT_RETRIED_5XX",
    "NOT_SENT",
    "X_RATELIMIT_HEADERS",
    "X_RATE_LIMIT_HEADERS",
    "ApiError",
    "ClientCache",
    "ErrorMapper",
    "Pacer",
    "Params",
    "RateBudget",
    "RateLimited",
    "RateReader",
    "RestTransport",
    "RetryPolicy",
    "ServerError",
    "Sleep",
    "TransportFailed",
    "TransportKnobs",
    "TransportOptions",
    "VendorErrors",
    "backoff_delay",
    "header_reader",
    "is_retry_safe",
    "options_for",
    "most_restrictive",
    "parse_retry_after",
    "request_url",
    "structured_reader",
]
