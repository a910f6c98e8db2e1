"""Reading a return file into a table of trimmed strings, whatever the trust sent.

The format is told from the bytes, not the file name (trusts rename files). Limits are
enforced before the whole file is held in memory: the size from the file system or the
object's length, the row count while streaming (Parquet: from its metadata). Anything
that cannot be read becomes an `UnreadableFile` carrying a rule id and a plain message,
never a traceback.

Every value is kept as text here (dates from Excel as YYYY-MM-DD, whole numbers without
'.0'); typing is the contract's job, so the report can quote what the trust wrote.

One module (near 400 lines): the three formats share the limits and the same ways of
failing, and a hostile file is bounded the same way whichever format it claims to be;
reviewing those bounds is easier when they sit side by side.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pandas as pd

from psw.standard.model import load_standard

CHUNK = 1 << 16
_ZIP = b"PK\x03\x04"
_PARQUET = b"PAR1"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SIGNATURES = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
    b"{\\rtf": "a Rich Text document",
}


@dataclass(frozen=True)
class ReadLimits:
    """Bounds on the work one file can cause, whatever it holds (a hostile file is
    answered in seconds with a rejection, never a stall or a traceback). Far above any
    real return: 21 columns, values of tens of characters, hundreds of rows."""

    max_columns: int = 200
    max_line_chars: int = 65_536  # one CSV line
    max_cell_chars: int = 1_000  # longer values are cut here; the contract still flags them
    max_text_chars: int = 60_000_000  # all the text of a file
    max_unpacked_bytes: int = 128 * 1_048_576  # an XLSX (a ZIP) once unpacked
    seconds: float = 6.0  # reading; the checks after it are bounded by the row count


LIMITS = ReadLimits()


class UnreadableFile(Exception):
    """The file cannot be read as a return; `rule_id` says which file-level rule."""

    def __init__(self, rule_id: str, detail: str = ""):
        super().__init__(detail or rule_id)
        self.rule_id = rule_id
        self.detail = detail


@dataclass
class RawReturn:
    """A return as read: normalised column names and a frame of trimmed strings.

    The frame's index is the row number as the trust sees it in a spreadsheet (the
    header is row 1). Empty cells are None. `columns` holds the normalised names in file
    order; `original_names` maps them back to what the trust wrote.
    """

    format: str
    columns: list[str]
    original_names: dict[str, str]
    frame: pd.DataFrame
    duplicate_columns: list[str] = field(default_factory=list)
    # Rows with more values than the header has names: row number -> count of values.
    overlong_rows: dict[int, int] = field(default_factory=dict)
    encoding: str | None = None
    # A workbook's other sheets, hidden ones too (only checked for personal data): a label
    # such as "sheet 2, hidden" (never the sheet's name, which is the trust's text) ->
    # its cells, columns named by letter, rows numbered as in Excel.
    other_sheets: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def row_count(self) -> int:
        return len(self.frame)


def normalise_column_name(name: str) -> str:
    """Case-insensitive after trimming; '-' and spaces read as '_' (runs folded)."""
    text = name.replace("\ufeff", "").strip().lower()
    text = re.sub(r"[\s\-]+", "_", text)
    return re.sub(r"_+", "_", text)


def read_return(
    source: Path | str | bytes,
    max_bytes: int | None = None,
    max_rows: int | None = None,
    limits: ReadLimits = LIMITS,
) -> RawReturn:
    """Read a CSV, XLSX or Parquet return from a path or from bytes.

    Anything that goes wrong while reading is an `UnreadableFile`: the readers below
    raise it for what they recognise, and any other failure of a library on a malformed
    file (a bad cell, a corrupt page, memory) becomes one here."""
    try:
        return _read(source, max_bytes, max_rows, limits)
    except UnreadableFile:
        raise
    except MemoryError:
        raise UnreadableFile("FILE_UNREADABLE", "it needs far more memory than a return") from None
    except Exception as exc:  # a reader library failed on a malformed file
        raise UnreadableFile(
            "FILE_UNREADABLE", f"part of it is damaged or malformed ({type(exc).__name__})"
        ) from exc


def _read(source, max_bytes, max_rows, limits: ReadLimits) -> RawReturn:
    standard = load_standard()
    max_bytes = standard.max_bytes if max_bytes is None else max_bytes
    max_rows = standard.max_rows if max_rows is None else max_rows

    size = len(source) if isinstance(source, bytes) else Path(source).stat().st_size
    if size > max_bytes:
        raise UnreadableFile("FILE_TOO_LARGE", f"{size / 1_048_576:.1f} MB")  # MB of 2^20 bytes
    if size == 0:
        raise UnreadableFile("FILE_EMPTY")

    with _open(source) as handle:
        head = handle.read(CHUNK)
        handle.seek(0)
        kind = _sniff(head)
        workbook = None
        if kind == "xlsx":
            header, rows, workbook = _xlsx_rows(handle, limits)
        elif kind == "parquet":
            header, rows = _parquet_rows(handle, max_rows, limits)
        else:
            encoding = _detect_encoding(handle)
            handle.seek(0)
            header, rows = _csv_rows(handle, encoding, limits)
        raw = _build(kind, header, rows, max_rows, limits)
        if kind == "csv":
            raw.encoding = encoding
        if workbook is not None:
            raw.other_sheets = _other_sheets(workbook, max_rows, limits)
        return raw


def _open(source: Path | str | bytes) -> IO[bytes]:
    if isinstance(source, bytes):
        return io.BytesIO(source)
    return open(source, "rb")  # noqa: SIM115 - closed by the caller's with-block


def _sniff(head: bytes) -> str:
    if head.startswith(_ZIP):
        return "xlsx"
    if head.startswith(_PARQUET):
        return "parquet"
    if head.startswith(_OLE2):
        raise UnreadableFile(
            "FILE_UNREADABLE", "it is an old Excel (.xls) or Word file; save it as .xlsx or CSV"
        )
    for signature, what in _SIGNATURES.items():
        if head.startswith(signature):
            raise UnreadableFile("FILE_UNREADABLE", f"it is {what}")
    body = head.removeprefix(codecs.BOM_UTF8)
    if not body.strip():
        raise UnreadableFile("FILE_EMPTY")
    if b"\x00" in body:
        raise UnreadableFile("FILE_UNREADABLE", "it contains binary data, not text")
    controls = sum(1 for b in body if b < 32 and b not in (9, 10, 13))
    if controls > len(body) * 0.01:
        raise UnreadableFile("FILE_UNREADABLE", "it contains binary data, not text")
    return "csv"


def _detect_encoding(handle: IO[bytes]) -> str:
    """UTF-8 (with or without BOM) if every byte decodes, else Windows-1252.

    Decoded incrementally, so the file is never held in memory whole.
    """
    first = handle.read(3)
    encoding = "utf-8-sig" if first == codecs.BOM_UTF8 else "utf-8"
    handle.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        while chunk := handle.read(CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        return encoding
    except UnicodeDecodeError:
        pass
    handle.seek(0)
    decoder = codecs.getincrementaldecoder("cp1252")()
    try:
        while chunk := handle.read(CHUNK):
            decoder.decode(chunk)
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            "FILE_UNREADABLE", "its text is neither UTF-8 nor Windows-1252; save it as CSV UTF-8"
        ) from exc
    return "cp1252"


def _bounded_lines(text: io.TextIOBase, limit: int) -> Iterator[str]:
    """Lines of at most `limit` characters: one huge line is refused before it is held."""
    while line := text.readline(limit + 1):
        if len(line) > limit:
            raise UnreadableFile("FILE_UNREADABLE", f"a line is longer than {limit:,} characters")
        yield line


def _csv_rows(
    handle: IO[bytes], encoding: str, limits: ReadLimits
) -> tuple[list[str], Iterator[list]]:
    text = io.TextIOWrapper(handle, encoding=encoding, newline="")
    try:
        reader = csv.reader(_bounded_lines(text, limits.max_line_chars))
        header = next(reader, None)
    except csv.Error as exc:
        raise UnreadableFile("FILE_UNREADABLE", f"it is not valid CSV ({exc})") from exc
    if header is None:
        raise UnreadableFile("FILE_EMPTY")

    def rows() -> Iterator[list]:
        try:
            yield from reader
        except csv.Error as exc:
            raise UnreadableFile(
                "FILE_UNREADABLE", f"it is not valid CSV near row {reader.line_num} ({exc})"
            ) from exc

    return header, rows()


def _xlsx_rows(handle: IO[bytes], limits: ReadLimits) -> tuple[list[str], Iterator[list], Any]:
    import openpyxl  # imported here: only XLSX uploads pay for it

    _check_unpacked_size(handle, limits)
    try:
        workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except Exception as exc:  # any failure means: not a workbook we can read
        raise UnreadableFile(
            "FILE_UNREADABLE", "it is a ZIP file but not an Excel workbook (.xlsx) we can open"
        ) from exc
    if (sheet.max_column or 0) > limits.max_columns:
        raise UnreadableFile(
            "FILE_UNREADABLE", f"its first sheet spans {sheet.max_column:,} columns"
        )
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        raise UnreadableFile("FILE_EMPTY")
    header_text = [_cell_text(v) or "" for v in header]
    return header_text, (list(map(_cell_text, r)) for r in rows), workbook


def _other_sheets(workbook: Any, max_rows: int, limits: ReadLimits) -> dict[str, pd.DataFrame]:
    """Every sheet after the first, visible or not, as text, within the same bounds as
    the return itself: a return is its first sheet, but personal data on any sheet (a
    "very hidden" one full of names and NHS numbers) must still be found."""
    from openpyxl.utils import get_column_letter

    sheets: dict[str, pd.DataFrame] = {}
    deadline = time.monotonic() + limits.seconds
    for number, sheet in enumerate(workbook.worksheets[1:], start=2):
        state = getattr(sheet, "sheet_state", "visible")
        label = f"sheet {number}" + ("" if state == "visible" else f", {state}")
        data, index = [], []
        for row_number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if row_number > max_rows + 1 or time.monotonic() > deadline:
                raise UnreadableFile(
                    "FILE_UNREADABLE", f"its {label} is far larger than a return can be"
                )
            cells = [_trim(_cell_text(v), limits.max_cell_chars) for v in row[: limits.max_columns]]
            if any(cells):
                data.append(cells)
                index.append(row_number)
        if data:
            width = max(len(r) for r in data)
            columns = [f"{label}, column {get_column_letter(i + 1)}" for i in range(width)]
            rows = [r + [None] * (width - len(r)) for r in data]
            sheets[label] = pd.DataFrame(rows, columns=columns, index=index, dtype=object)
    return sheets


def _check_unpacked_size(handle: IO[bytes], limits: ReadLimits) -> None:
    """A ZIP says how large its parts unpack to: refuse a bomb before opening it. (Python's
    zipfile never unpacks more than a part declares, so a part that lies fails its CRC.)"""
    import zipfile

    try:
        with zipfile.ZipFile(handle) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise UnreadableFile(
            "FILE_UNREADABLE", "it is a ZIP file but not an Excel workbook (.xlsx) we can open"
        ) from exc
    finally:
        handle.seek(0)
    if unpacked > limits.max_unpacked_bytes:
        raise UnreadableFile(
            "FILE_UNREADABLE",
            f"it is an Excel workbook that unpacks to {unpacked / 1_048_576:,.0f} MB, far more "
            "than a return",
        )


def _parquet_rows(
    handle: IO[bytes], max_rows: int, limits: ReadLimits
) -> tuple[list[str], Iterator[list]]:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(handle)
    except Exception as exc:
        raise UnreadableFile("FILE_UNREADABLE", "it is not a valid Parquet file") from exc
    if parquet.metadata.num_rows > max_rows:
        raise UnreadableFile("FILE_TOO_MANY_ROWS")
    if parquet.metadata.num_columns > limits.max_columns:
        raise UnreadableFile("FILE_UNREADABLE", f"it has {parquet.metadata.num_columns:,} columns")
    header = list(parquet.schema_arrow.names)

    def cut(column: pa.Array) -> pa.Array:
        """Long text cut in Arrow, before Python sees it (a small file can hold huge
        values: one long string repeated by its dictionary)."""
        if pa.types.is_dictionary(column.type):
            column = column.dictionary_decode()
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            return pc.utf8_slice_codeunits(column, 0, limits.max_cell_chars)
        return column

    def rows() -> Iterator[list]:
        # Small batches: a batch of long values is decoded whole before it is cut.
        for batch in parquet.iter_batches(batch_size=1_000):
            columns = [[_cell_text(v) for v in cut(col).to_pylist()] for col in batch.columns]
            yield from (list(r) for r in zip(*columns, strict=True))

    return header, rows()


def _cell_text(value: object) -> str | None:
    """A cell from Excel or Parquet as the text a trust would have typed."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value)


def _build(
    kind: str, header: list, rows: Iterable[list], max_rows: int, limits: ReadLimits = LIMITS
) -> RawReturn:
    names = [("" if h is None else str(h)) for h in header]
    while names and not names[-1].strip():
        names.pop()  # trailing unnamed columns (spreadsheet formatting) mean nothing
    if not any(n.strip() for n in names):
        raise UnreadableFile("FILE_EMPTY")
    if len(names) > limits.max_columns:
        raise UnreadableFile("FILE_UNREADABLE", f"row 1 has {len(names):,} columns")

    columns: list[str] = []
    original: dict[str, str] = {}
    duplicates: list[str] = []
    keep: list[int] = []  # positions of the first occurrence of each name
    for position, name in enumerate(names):
        normal = normalise_column_name(name) or f"(column {position + 1} has no name)"
        if normal in original:
            duplicates.append(normal)
            continue
        original[normal] = name.strip()
        columns.append(normal)
        keep.append(position)

    width = len(names)
    data: list[list[str | None]] = []
    index: list[int] = []
    overlong: dict[int, int] = {}
    deadline = time.monotonic() + limits.seconds
    text = 0
    # One copy of each distinct value: codes and dates repeat on every row, and a 100,000-row
    # return then holds thousands of strings instead of two million.
    pool: dict[str, str] = {}
    for number, row in enumerate(rows, start=2):
        if number % 1_000 == 0 and time.monotonic() > deadline:
            raise UnreadableFile(
                "FILE_UNREADABLE",
                f"reading it took over {limits.seconds:.0f} seconds (stopped at row {number:,})",
            )
        cells = [_trim(v, limits.max_cell_chars) for v in row]
        cells = [None if c is None else pool.setdefault(c, c) for c in cells]
        if not any(cells):
            continue  # rows whose every cell is empty are ignored
        text += sum(len(c) for c in cells if c)
        if text > limits.max_text_chars:
            raise UnreadableFile("FILE_UNREADABLE", "it holds far more text than a return")
        if len(data) >= max_rows:
            raise UnreadableFile("FILE_TOO_MANY_ROWS")
        if len(cells) > width and any(cells[width:]):
            overlong[number] = len(cells) - sum(1 for c in reversed(cells) if c is None)
        if len(cells) < width:
            cells.extend([None] * (width - len(cells)))
        data.append([cells[p] for p in keep])
        index.append(number)

    frame = pd.DataFrame(data, columns=columns, index=pd.Index(index, name="row"), dtype=object)
    if not data:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        frame.index = pd.Index([], name="row", dtype="int64")
    return RawReturn(kind, columns, original, frame, duplicates, overlong)


def _trim(value: object, limit: int = LIMITS.max_cell_chars) -> str | None:
    if value is None:
        return None
    text = str(value)[: limit * 2].strip()[:limit]  # cut before stripping a huge value
    return text or None
