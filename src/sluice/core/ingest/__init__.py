"""Ingest: files, folders, archives and uploads into datasets, parsed in bounded workers.

The front doors import this area only from here (see ``sluice.core.public``)."""

from typing import TYPE_CHECKING

from sluice.core.public import lazy_exports

if TYPE_CHECKING:
    from sluice.core.ingest.parsers.registry import supported_extensions as supported_extensions
    from sluice.core.ingest.scan import TABULAR as TABULAR, scan_paths as scan_paths
    from sluice.core.ingest.service import IngestRequest as IngestRequest
    from sluice.core.ingest.uploads import (
        BlobStored as BlobStored,
        UploadService as UploadService,
        file_digest as file_digest,
    )

__getattr__, __dir__ = lazy_exports(__name__, __file__)
