"""Where a stream consumer may connect, and its URL without credentials.

A consumer URL comes from an editor, so the server would otherwise connect wherever it
says (an internal port scan: "connection refused" versus "timeout"). Only the hosts in
``stream_hosts`` are allowed, checked before any connection is tried. A password in the
URL is kept out of everything that is stored or shown (job parameters, job lists, error
messages): the job keeps it among its secrets.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qs, urlsplit, urlunsplit

from sluice.errors import Forbidden, InvalidInput

SCHEMES = {"redis": 6379, "rediss": 6379, "unix": None}


@dataclass(frozen=True)
class StreamUrl:
    public: str  # without credentials: safe to store and show
    secret: str | None  # the full URL, when it had credentials
    target: str  # host:port, or the socket path

    @property
    def connect(self) -> str:
        return self.secret or self.public


def parse_stream_url(url: str, allowed: list[str]) -> StreamUrl:
    """Check ``url`` against the allowlist; split off its credentials.

    Raises:
        InvalidInput: not a redis://, rediss:// or unix:// URL (``invalid_url``).
        Forbidden: a host that is not in ``stream_hosts`` (``host_not_allowed``).
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidInput(f"not a valid URL: {exc}", code="invalid_url") from exc
    if parts.scheme not in SCHEMES:
        raise InvalidInput("the Redis URL must start with redis://, rediss:// or unix://",
                           code="invalid_url")
    _check_query(parts.query)
    target = _target(parts, port)
    if target not in {a.strip().lower() for a in allowed}:
        raise Forbidden(f"{target} is not a host stream consumers may connect to; an admin "
                        "can add it to the stream_hosts setting", code="host_not_allowed",
                        details={"host": target})
    if parts.scheme == "unix":
        public = f"unix://{parts.path}" + (f"?{parts.query}" if parts.query else "")
    else:
        public = urlunsplit(parts._replace(netloc=_netloc(parts, port)))
    return StreamUrl(public=public, secret=url if parts.password else None, target=target)


def _check_query(query: str) -> None:
    """Only ``?db=N``: the Redis client reads other query arguments (``port``, ``host``,
    ``password``) as connection settings, which would slip past the allowlist."""
    for key, values in parse_qs(query, keep_blank_values=True).items():
        if key != "db" or len(values) != 1 or not values[0].isdigit():
            raise InvalidInput("a Redis URL may carry only ?db=N; put the host, port and "
                               "password in the URL itself", code="invalid_url")


def _target(parts: SplitResult, port: int | None) -> str:
    if parts.scheme == "unix":
        return parts.path
    host = (parts.hostname or "").lower()
    if not host:
        raise InvalidInput("the Redis URL names no host", code="invalid_url")
    return f"{host}:{port or SCHEMES[parts.scheme]}"


def _netloc(parts: SplitResult, port: int | None) -> str:
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    user = f"{parts.username}@" if parts.username else ""
    return f"{user}{host}{':' + str(port) if port else ''}"
