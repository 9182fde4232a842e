"""Versioned datasets: tables and documents, their commits, refs, rows and diffs.

The front doors import this area only from here (see ``sluice.core.public``)."""

from typing import TYPE_CHECKING

from sluice.core.public import lazy_exports

if TYPE_CHECKING:
    from sluice.core.datasets.models import (
        ColumnInfo as ColumnInfo,
        DatasetInfo as DatasetInfo,
        DatasetKind as DatasetKind,
        DiffResult as DiffResult,
        RowsPage as RowsPage,
        VersionInfo as VersionInfo,
    )
    from sluice.core.datasets.refs import DatasetRef as DatasetRef, parse_ref as parse_ref

__getattr__, __dir__ = lazy_exports(__name__, __file__)
