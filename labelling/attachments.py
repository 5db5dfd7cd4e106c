"""Attachment type detection by content (magic bytes), never by file name.

Office documents are ZIP containers: ODF files name their type in a first `mimetype` entry,
OOXML files are told apart by their main part (`word/document.xml`, `xl/workbook.xml`).
Anything else, including an executable renamed `.pdf`, is refused.
"""

import hashlib
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

EXTENSIONS = {
    PDF: "pdf",
    PNG: "png",
    JPEG: "jpg",
    ODT: "odt",
    ODS: "ods",
    DOCX: "docx",
    XLSX: "xlsx",
}
ACCEPTED_LABEL = "PDF, ODT, DOCX, XLSX, ODS, PNG, JPEG"


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    size: int
    sha256: str


def detect_content_type(stream: BinaryIO) -> str | None:
    stream.seek(0)
    head = stream.read(8)
    stream.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        return _office_type(stream)
    return None


def _office_type(stream: BinaryIO) -> str | None:
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                declared = archive.read("mimetype").decode("ascii", "replace").strip()
                return declared if declared in (ODT, ODS) else None
            if "[Content_Types].xml" in names:
                if "word/document.xml" in names:
                    return DOCX
                if "xl/workbook.xml" in names:
                    return XLSX
    except (zipfile.BadZipFile, OSError, KeyError):
        return None
    finally:
        stream.seek(0)
    return None


def sniff(stream: BinaryIO) -> Sniffed | None:
    """Content type, size and SHA-256 of an upload, or None when the type is not accepted."""
    content_type = detect_content_type(stream)
    if content_type is None:
        return None
    digest = hashlib.sha256()
    size = 0
    stream.seek(0)
    while chunk := stream.read(64 * 1024):
        digest.update(chunk)
        size += len(chunk)
    stream.seek(0)
    return Sniffed(content_type=content_type, size=size, sha256=digest.hexdigest())
