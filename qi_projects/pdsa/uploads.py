"""What an uploaded attachment really is, from its first bytes, whatever its name says.

Allowed: PNG, JPEG, GIF and WebP images, PDF, Office documents (DOCX, XLSX,
PPTX: a zip whose [Content_Types].xml names the right main part) and plain text
or CSV (valid UTF-8 without NUL bytes). Everything else is refused, including
an executable renamed .png. No Django imports: trivial to test.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

MAX_BYTES = 10 * 1024 * 1024
ALLOWED_DESCRIPTION = "PNG, JPEG, GIF or WebP images, PDF, Word, Excel or PowerPoint documents, or plain text and CSV"

# The main part each Office format declares in [Content_Types].xml.
OFFICE = {
    "docx": b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "xlsx": b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "pptx": b"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
}
EXTENSIONS = {
    "png": {"png"},
    "jpeg": {"jpg", "jpeg"},
    "gif": {"gif"},
    "webp": {"webp"},
    "pdf": {"pdf"},
    "docx": {"docx"},
    "xlsx": {"xlsx"},
    "pptx": {"pptx"},
    "text": {"txt", "csv", "md", "text"},
}


class Refused(ValueError):
    """The file is not one we keep; the message says why in plain words."""


@dataclass(frozen=True)
class Sniffed:
    kind: str  # a key of EXTENSIONS
    size: int


def sniff(head: bytes, data_for_zip=None) -> str | None:
    """The kind of file these first bytes start, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04") and data_for_zip is not None:
        return _office_kind(data_for_zip)
    return None


def _office_kind(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > 1024 * 1024:
                return None
            types = archive.read(info)
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, ValueError):
        return None
    for kind, marker in OFFICE.items():
        if marker in types:
            return kind
    return None


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def check(name: str, size: int, data: bytes) -> Sniffed:
    """Refuse (with the reason) anything too big, of a kind we do not keep, or not what its name says."""
    if size > MAX_BYTES:
        raise Refused(f"“{name}” is {size / 1024 / 1024:.1f} MB: attachments can be 10 MB at most.")
    if size == 0:
        raise Refused(f"“{name}” is empty.")
    kind = sniff(data[:16], data) or ("text" if _is_text(data) else None)
    if kind is None:
        raise Refused(
            f"“{name}” is not a file we can keep: attachments can be {ALLOWED_DESCRIPTION}. "
            "The file's contents are checked, not just its name."
        )
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in EXTENSIONS[kind]:
        raise Refused(
            f"“{name}” does not contain what its name says: its contents are {kind.upper()}, not "
            f"{extension.upper() or 'a known type'}. Rename it or save it in the right format."
        )
    return Sniffed(kind=kind, size=size)
