"""Where bytes live: a local folder or an S3-compatible bucket, addressed by one root URL.

Both the blob store (fsspec) and the table store (Lance) are built from a
:class:`StoreLocation`, so switching ``SLUICE_STORAGE_URL`` to ``s3://bucket/prefix``
moves blobs and tables together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import fsspec

from sluice.errors import InvalidInput
from sluice.settings import Settings

_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass(frozen=True)
class StoreLocation:
    """A root URL plus the credentials needed to reach it."""

    root: str
    endpoint_url: str | None = None
    key: str | None = None
    secret: str | None = field(default=None, repr=False)
    region: str = "us-east-1"

    @classmethod
    def from_settings(cls, settings: Settings) -> StoreLocation:
        secret = settings.s3_secret_access_key
        return cls(
            root=settings.resolved_storage_url,
            endpoint_url=settings.s3_endpoint_url,
            key=settings.s3_access_key_id,
            secret=secret.get_secret_value() if secret else None,
            region=settings.s3_region,
        )

    @property
    def is_s3(self) -> bool:
        return self.root.startswith("s3://")

    def join(self, *segments: str) -> str:
        """Join checked path segments under the root; no segment may escape it."""
        for seg in segments:
            for part in seg.split("/"):
                if not _SEGMENT.match(part):
                    raise InvalidInput(f"invalid store path segment {part!r}", code="invalid_path")
        return "/".join([self.root, *segments])

    def filesystem(self) -> fsspec.AbstractFileSystem:
        """An fsspec filesystem for this location."""
        if not self.is_s3:
            return fsspec.filesystem("file", auto_mkdir=True)
        client_kwargs: dict[str, Any] = {"region_name": self.region}
        if self.endpoint_url:
            client_kwargs["endpoint_url"] = self.endpoint_url
        return fsspec.filesystem(
            "s3", key=self.key, secret=self.secret, client_kwargs=client_kwargs,
            config_kwargs={"s3": {"addressing_style": "path"}},
        )

    def lance_options(self) -> dict[str, str] | None:
        """``storage_options`` for Lance, or None for local disk."""
        if not self.is_s3:
            return None
        opts = {"aws_region": self.region}
        if self.endpoint_url:
            opts["aws_endpoint"] = self.endpoint_url
            if self.endpoint_url.startswith("http://"):
                opts["allow_http"] = "true"
        if self.key:
            opts["aws_access_key_id"] = self.key
        if self.secret:
            opts["aws_secret_access_key"] = self.secret
        return opts
