"""Sluice: versioned datasets, SQL, search, labeling, tracking and serving in one install.

    >>> import sluice
    >>> client = sluice.connect()                      # this machine's workspace
    >>> remote = sluice.connect("http://127.0.0.1:8080", token="slc_...")  # a server
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from sluice.errors import (
    AlreadyExists,
    Cancelled,
    Conflict,
    ExternalService,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    SluiceError,
    Timeout,
    Unauthorized,
    Unavailable,
)

# Names are imported on first use (PEP 562), so `import sluice` stays fast and parser
# worker processes do not load the whole platform.
_EXPORTS = {
    "AppendResult": "sluice.core.streams.append",
    "Client": "sluice.sdk.api",
    "ColumnInfo": "sluice.core.datasets.models",
    "DatasetInfo": "sluice.core.datasets.models",
    "DatasetKind": "sluice.core.datasets.models",
    "DiffResult": "sluice.core.datasets.models",
    "JobInfo": "sluice.core.jobs.models",
    "JobLog": "sluice.core.jobs.models",
    "JobState": "sluice.core.jobs.models",
    "NewToken": "sluice.core.auth.service",
    "QualityReport": "sluice.core.quality.service",
    "QueryResult": "sluice.core.sql.models",
    "RowsPage": "sluice.core.datasets.models",
    "TokenInfo": "sluice.core.auth.service",
    "VersionInfo": "sluice.core.datasets.models",
    "connect": "sluice.sdk.connect",
    "labeling_function": "sluice.sdk.labels",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sluice' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from sluice.core.auth.service import NewToken, TokenInfo
    from sluice.core.datasets.models import (
        ColumnInfo,
        DatasetInfo,
        DatasetKind,
        DiffResult,
        RowsPage,
        VersionInfo,
    )
    from sluice.core.jobs.models import JobInfo, JobLog, JobState
    from sluice.core.quality.service import QualityReport
    from sluice.core.sql.models import QueryResult
    from sluice.core.streams.append import AppendResult
    from sluice.sdk.api import Client
    from sluice.sdk.connect import connect
    from sluice.sdk.labels import labeling_function


__all__ = [
    "AlreadyExists",
    "AppendResult",
    "Cancelled",
    "Client",
    "ColumnInfo",
    "Conflict",
    "DatasetInfo",
    "DatasetKind",
    "DiffResult",
    "ExternalService",
    "Forbidden",
    "InvalidInput",
    "JobInfo",
    "JobLog",
    "JobState",
    "NewToken",
    "NotFound",
    "PayloadTooLarge",
    "QualityReport",
    "QueryResult",
    "RowsPage",
    "SluiceError",
    "Timeout",
    "TokenInfo",
    "Unauthorized",
    "Unavailable",
    "VersionInfo",
    "__version__",
    "connect",
    "labeling_function",
]
