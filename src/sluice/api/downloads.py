"""The ``Content-Disposition`` header of a download, safe for any file name.

A name is user data (an artifact path, a dataset reference): quotes, semicolons or line
breaks in it must not end the header value or add parameters. The plain ``filename`` gets
an ASCII copy with anything unsafe replaced; ``filename*`` (RFC 6266 / 5987) carries the
exact name, percent-encoded.
"""

from __future__ import annotations

import re
from urllib.parse import quote

_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]")


def attachment(filename: str) -> dict[str, str]:
    """Headers that make a browser save the body as ``filename``."""
    name = filename.rsplit("/", 1)[-1].strip() or "download"
    ascii_name = _UNSAFE.sub("_", name)[:200] or "download"
    encoded = quote(name[:200], safe="")
    return {"Content-Disposition":
            f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{encoded}"}
