"""File formats for import and export: CSV, XLSX and JSON, read strictly.

tablib's readers fail with exceptions that name no line (ragged rows), read formula cells
as their cached value (or nothing) and take the first sheet of a workbook without a word.
These say what is wrong with the file, in a sentence, as ``ImportRefused``.

A workbook is a zip: its parts' sizes are checked before openpyxl opens it (``check_workbook``),
so a few hundred KB that unzip to gigabytes are refused in constant memory, by the admin and
the command alike. The admin reads a file whole, so its formats bound the rows (``max_rows``).
"""

import copy
import csv
import io
import json
import zipfile
import zlib
from contextlib import ExitStack
from pathlib import Path

import tablib
from django.conf import settings
from import_export.formats import base_formats

from .resources import ImportRefused


def read_table(rows, describe_line):
    """The header row, and an iterator of (line number, row) over the data rows.

    Rows are read as they are needed, so a file of any length is checked and imported in
    constant memory. Blank lines are skipped; a ragged row is refused with its line.
    """
    rows = iter(rows)
    headers = None
    for headers in rows:
        if any(cell is not None and str(cell).strip() for cell in headers):
            break
    else:
        raise ImportRefused("The file is empty: it has no header row and no rows.")
    headers = ["" if h is None else str(h) for h in headers]
    while headers and headers[-1].strip() == "":
        headers.pop()
    if "" in (h.strip() for h in headers):
        position = [h.strip() for h in headers].index("") + 1
        raise ImportRefused(f"Column {position} of the header row has no name.")

    def records():
        for number, row in enumerate(rows, start=2):
            row = list(row)
            if all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in row):
                continue
            while len(row) > len(headers) and (row[-1] is None or row[-1] == ""):
                row.pop()
            if len(row) != len(headers):
                raise ImportRefused(
                    f"{describe_line(number)} has {len(row)} cells but the header row has "
                    f"{len(headers)}: a cell is missing or a separator is extra."
                )
            yield number, row

    return headers, records()


def too_many_rows(limit):
    return ImportRefused(
        f"The file has more than {limit:,} rows, the most the admin imports at once "
        "(IMPORT_MAX_ROWS). Import it with `manage.py import_incidents FILE` (`--table` for "
        "the other tables), which reads a file of any length."
    )


def build_dataset(rows, describe_line, max_rows=None):
    """A whole dataset, for the admin's preview: the same checks as ``read_table``.

    With ``max_rows``, reading stops at the first row past it: the file is refused before
    it is held whole.
    """
    headers, records = read_table(rows, describe_line)
    dataset = tablib.Dataset(headers=headers)
    for _, row in records:
        if max_rows is not None and len(dataset) >= max_rows:
            raise too_many_rows(max_rows)
        dataset.append(row)
    if not len(dataset):
        raise ImportRefused("The file has a header row but no rows to import.")
    return dataset


MIB = 1024 * 1024
# A part this small cannot hurt whatever its compression ratio; above it the ratio counts.
RATIO_FLOOR = MIB
PROBE_CHUNK = 64 * 1024


def check_workbook(source):
    """Refuse a workbook whose parts unzip past IMPORT_MAX_UNCOMPRESSED_BYTES, or past
    IMPORT_MAX_ZIP_RATIO times their compressed size, without unzipping more than that.

    The zip's central directory declares each part's sizes; they are checked first. Then
    each part is unzipped a chunk at a time, to prove it holds no more than it declares:
    a forged directory (a small size over a huge part) passes the first check, and
    openpyxl unzips some parts whole in one call (``ZipFile.read``), whatever they declare.
    """
    try:
        with zipfile.ZipFile(source) as archive:
            parts = archive.infolist()
            check_declared_sizes(parts)
            for part in parts:
                check_true_size(archive, part)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as error:
        raise ImportRefused(f"The file is not an Excel workbook (.xlsx): {error}.") from None


def check_declared_sizes(parts):
    limit = settings.IMPORT_MAX_UNCOMPRESSED_BYTES
    total = sum(part.file_size for part in parts)
    if total > limit:
        raise ImportRefused(
            f"The workbook unzips to {total / MIB:,.1f} MiB; imports are limited to "
            f"{limit / MIB:,.1f} MiB unzipped (IMPORT_MAX_UNCOMPRESSED_BYTES)."
        )
    ratio = settings.IMPORT_MAX_ZIP_RATIO
    for part in parts:
        if part.flag_bits & 0x1 or part.compress_type not in (
            zipfile.ZIP_STORED,
            zipfile.ZIP_DEFLATED,
        ):
            raise ImportRefused(
                f"The workbook's part “{part.filename}” is encrypted or compressed in a way "
                "Excel does not write: save the workbook again from the spreadsheet."
            )
        if part.file_size > RATIO_FLOOR and part.file_size > ratio * part.compress_size:
            raise ImportRefused(
                f"The workbook's part “{part.filename}” unzips to "
                f"{part.file_size / max(part.compress_size, 1):,.0f} times its compressed "
                f"size; imports accept at most {ratio:,} times (IMPORT_MAX_ZIP_RATIO)."
            )


def check_true_size(archive, part):
    """Unzip one part a chunk at a time, and refuse it on the first byte past its size."""
    probe = copy.copy(part)
    probe.file_size = part.file_size + 1  # zipfile stops at the declared size; read one more
    probe.CRC = None  # zipfile would check it at the wrong size; it is checked below
    unzipped = checksum = 0
    with archive.open(probe) as stream:
        while chunk := stream.read(PROBE_CHUNK):
            unzipped += len(chunk)
            if unzipped > part.file_size:
                raise ImportRefused(
                    f"The workbook's part “{part.filename}” holds more than the zip "
                    "directory declares: the file is damaged or forged."
                )
            checksum = zlib.crc32(chunk, checksum)
    if checksum != part.CRC:
        raise ImportRefused(
            f"The workbook's part “{part.filename}” is damaged (its checksum does not "
            "match): save the workbook again from the spreadsheet."
        )


ZIP_MAGIC = b"PK\x03\x04"
NOT_CSV = "This is an Excel workbook (or another zip file), not CSV text: choose XLSX."
NOT_UTF8 = "Save it as “CSV UTF-8”, or import it as XLSX."


def nul_refused(line):
    return ImportRefused(
        f"Line {line} holds a NUL character: this is not a text CSV file "
        "(a spreadsheet saved under a .csv name?)."
    )


def csv_lines(stream):
    """Lines of a UTF-8 text file as they are read; bad bytes and NULs refused by line."""
    number = 0
    try:
        for number, line in enumerate(stream, start=1):  # noqa: B007 (read after the loop)
            if "\x00" in line:
                raise nul_refused(number)
            yield line
    except UnicodeDecodeError as error:
        raise ImportRefused(
            f"The file is not UTF-8 text (byte 0x{error.object[error.start]:02x} after line "
            f"{number}). {NOT_UTF8}"
        ) from None


def csv_rows(lines):
    reader = csv.reader(lines)
    try:
        yield from reader
    except csv.Error as error:
        raise ImportRefused(
            f"The file is not valid CSV: {error} (line {reader.line_num})."
        ) from None


class CSV(base_formats.CSV):
    """Read as bytes, so that an undecodable file is reported here, with its position."""

    max_rows = None  # rows ``create_dataset`` holds at most; None: any number

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def export_data(self, dataset, **kwargs):
        """Every field quoted, as the streamed exports quote it (``exports.csv_chunks``)."""
        kwargs.setdefault("quoting", csv.QUOTE_ALL)
        return super().export_data(dataset, **kwargs)

    def create_dataset(self, in_stream):
        if isinstance(in_stream, bytes) and in_stream.startswith(ZIP_MAGIC):
            raise ImportRefused(NOT_CSV)
        if isinstance(in_stream, bytes):
            try:
                in_stream = in_stream.decode("utf-8-sig")
            except UnicodeDecodeError as error:
                raise ImportRefused(
                    f"The file is not UTF-8 text (byte 0x{in_stream[error.start]:02x} at "
                    f"position {error.start}). {NOT_UTF8}"
                ) from None
        if "\x00" in in_stream:
            raise nul_refused(in_stream[: in_stream.index("\x00")].count("\n") + 1)
        in_stream = in_stream.lstrip("\ufeff")
        return build_dataset(csv_rows(io.StringIO(in_stream)), lambda n: f"Line {n}", self.max_rows)

    def read_file(self, stack, path):
        """(headers, records) read from the file as they are needed."""
        binary = stack.enter_context(open(path, "rb"))  # noqa: SIM115 (closed by the stack)
        if binary.read(4) == ZIP_MAGIC:
            raise ImportRefused(NOT_CSV)
        binary.seek(0)
        text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
        return read_table(csv_rows(csv_lines(text)), lambda n: f"Line {n}")


class XLSX(base_formats.XLSX):
    max_rows = None

    def create_dataset(self, in_stream):
        with ExitStack() as stack:
            return build_dataset(*self.sheet_rows(stack, io.BytesIO(in_stream)), self.max_rows)

    def read_file(self, stack, path):
        return read_table(*self.sheet_rows(stack, path))

    def sheet_rows(self, stack, source):
        """The only sheet's rows (read-only, formulas as written), and how to name a row."""
        import openpyxl

        check_workbook(source)
        try:
            book = openpyxl.load_workbook(source, read_only=True, data_only=False)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
            raise ImportRefused(f"The file is not an Excel workbook (.xlsx): {error}.") from None
        stack.callback(book.close)
        sheets = book.sheetnames
        if len(sheets) != 1:
            raise ImportRefused(
                f"The workbook has {len(sheets)} sheets ({', '.join(sheets)}); an import "
                "reads exactly one. Keep only the sheet to import."
            )
        return (
            book[sheets[0]].iter_rows(values_only=True),
            lambda n: f"Row {n} of sheet “{sheets[0]}”",
        )


class JSON(base_formats.JSON):
    """A list of objects with the same keys. Read whole: JSON has no rows to stream."""

    max_rows = None

    def create_dataset(self, in_stream):
        headers, rows = self.objects(in_stream)
        if self.max_rows is not None and len(rows) > self.max_rows:
            raise too_many_rows(self.max_rows)
        return tablib.Dataset(*rows, headers=headers)

    def read_file(self, stack, path):
        headers, rows = self.objects(Path(path).read_bytes())
        return headers, enumerate(rows, start=2)  # numbered as the admin's rows are

    def objects(self, in_stream):
        if isinstance(in_stream, bytes):
            try:
                in_stream = in_stream.decode("utf-8-sig")
            except UnicodeDecodeError as error:
                raise ImportRefused(
                    f"The file is not UTF-8 text (byte 0x{in_stream[error.start]:02x} at "
                    f"position {error.start})."
                ) from None
        try:
            data = json.loads(in_stream)
        except (json.JSONDecodeError, RecursionError) as error:
            raise ImportRefused(f"The file is not valid JSON: {error}.") from None
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise ImportRefused("A JSON import is a list of objects, one per row.")
        if not data:
            raise ImportRefused("The file holds an empty list: no rows to import.")
        headers = list(data[0])
        for number, item in enumerate(data, start=1):
            if list(item) != headers:
                raise ImportRefused(
                    f"Object {number} has keys {sorted(item)}; the first has {sorted(headers)}."
                )
        return headers, [[item[h] for h in headers] for item in data]


FORMATS = [CSV, XLSX, JSON]
