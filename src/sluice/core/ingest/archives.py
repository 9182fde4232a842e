"""Refusing decompression bombs before a parser opens them.

Office Open XML (docx, xlsx, pptx), OpenDocument and EPUB files are zip archives; a
2 MB file can hold a 1 GB ``document.xml`` that an XML parser then holds in memory many
times over. The archive's directory says how big each member unpacks (Python's zip reader
never inflates past that size), so the check reads only the directory.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

MAX_RATIO = 100  # a whole archive compressed more than this is refused
RATIO_FLOOR = 32 * 1024 * 1024  # ...once it unpacks to more than this
ZIP_EXTENSIONS = frozenset({".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp", ".epub"})


class ArchiveTooLarge(Exception):
    """An archive that unpacks to more than the limit or at a suspicious ratio."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def check_archive(path: str | Path, max_inflated: int) -> None:
    """Raise :class:`ArchiveTooLarge` when ``path`` (if it is a zip archive) unpacks to more
    than ``max_inflated`` bytes, or to more than 32 MB at over 100 times its size."""
    if not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not readable as an archive: the parser reports that
    inflated = sum(m.file_size for m in members)
    packed = max(1, Path(path).stat().st_size)
    if inflated > max_inflated:
        raise ArchiveTooLarge(f"the archive unpacks to {inflated:,} bytes, more than "
                              f"max_inflated_bytes ({max_inflated:,})")
    if inflated > RATIO_FLOOR and inflated / packed > MAX_RATIO:
        raise ArchiveTooLarge(f"the archive unpacks to {inflated:,} bytes from {packed:,} "
                              f"(over {MAX_RATIO}:1): refused as a decompression bomb")
