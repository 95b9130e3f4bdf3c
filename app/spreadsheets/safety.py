"""Checks on an uploaded file before any parser sees it: size, type by content, zip bombs,
XML entity declarations. Each rejection is a `FileRejected` with a message for the user."""

import io
import zipfile

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.models import DomainError

MAX_ZIP_ENTRIES = 1000
MAX_UNZIPPED_BYTES = 400 * 1024 * 1024  # a 200,000-row sheet unzips to well under this
MAX_ZIP_RATIO = 200  # spreadsheet XML compresses ~10-30×; bombs ~1000×
XML_HEAD_BYTES = 64 * 1024  # a DOCTYPE has to come before the root element

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls / .doc
KINDS = {".xlsx": "xlsx", ".csv": "csv"}


class FileRejected(DomainError):
    """The file as a whole cannot be imported; nothing was read from it."""

    def __init__(self, message, status=400):
        super().__init__(message, field="file")
        self.status = status


def check_upload(filename, data):
    """Return 'xlsx' or 'csv' for an acceptable upload, else raise FileRejected."""
    limit = current_app.config["IMPORT_MAX_BYTES"]
    if len(data) > limit:
        raise FileRejected(
            _l("The file is larger than %(mb)s MB.", mb=round(limit / 1024 / 1024, 1)),
            status=413,
        )
    if not data.strip():
        raise FileRejected(_l("The file is empty."))
    ext = "." + filename.rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
    kind = KINDS.get(ext)
    if kind is None:
        raise FileRejected(_l("Only .xlsx and .csv files can be imported (.xls: save as .xlsx first)."))
    if kind == "xlsx":
        if not data.startswith(ZIP_MAGIC):
            raise FileRejected(_l("The file is not a real .xlsx workbook (its content does not match its name)."))
        check_zip(data)
    elif data.startswith((ZIP_MAGIC, OLE_MAGIC)) or b"\x00" in data[:8192]:
        raise FileRejected(_l("The file is not a text .csv file (its content does not match its name)."))
    return kind


def check_zip(data):
    """Inspect the zip's central directory (never decompressing) and the XML prologs."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise FileRejected(_l("The file is not a valid .xlsx workbook (damaged zip).")) from exc
    names = {e.filename for e in entries}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise FileRejected(_l("The file is not a real .xlsx workbook (its content does not match its name)."))
    if len(entries) > MAX_ZIP_ENTRIES:
        raise FileRejected(_l("The workbook has too many parts; it looks like a zip bomb."))
    total = sum(e.file_size for e in entries)
    if total > MAX_UNZIPPED_BYTES:
        raise FileRejected(_l("The workbook unpacks to more than the allowed size; it looks like a zip bomb."), 413)
    for e in entries:
        if e.file_size > 1024 * 1024 and e.file_size > MAX_ZIP_RATIO * max(e.compress_size, 1):
            raise FileRejected(_l("The workbook is compressed suspiciously well; it looks like a zip bomb."))
    for e in entries:
        if e.filename.endswith((".xml", ".rels")):
            with archive.open(e) as part:
                head = part.read(XML_HEAD_BYTES).upper()
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise FileRejected(_l("The workbook contains XML entity declarations, which are not allowed."))
