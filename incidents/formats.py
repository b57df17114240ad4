"""File formats for import and export: CSV, XLSX and JSON, read strictly.

tablib's readers fail with exceptions that name no line (ragged rows), read formula cells
as their cached value (or nothing) and take the first sheet of a workbook without a word.
These say what is wrong with the file, in a sentence, as ``ImportRefused``.
"""

import csv
import io
import json

import tablib
from import_export.formats import base_formats

from .resources import ImportRefused


def build_dataset(rows, describe_line):
    """A dataset from a header row and data rows; blank lines are skipped."""
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
    dataset = tablib.Dataset(headers=headers)
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
        dataset.append(row)
    if not len(dataset):
        raise ImportRefused("The file has a header row but no rows to import.")
    return dataset


class CSV(base_formats.CSV):
    """Read as bytes, so that an undecodable file is reported here, with its position."""

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream):
        if isinstance(in_stream, bytes) and in_stream.startswith(b"PK\x03\x04"):
            raise ImportRefused(
                "This is an Excel workbook (or another zip file), not CSV text: choose XLSX."
            )
        if isinstance(in_stream, bytes):
            try:
                in_stream = in_stream.decode("utf-8-sig")
            except UnicodeDecodeError as error:
                raise ImportRefused(
                    f"The file is not UTF-8 text (byte 0x{in_stream[error.start]:02x} at "
                    f"position {error.start}). Save it as “CSV UTF-8”, or import it as XLSX."
                ) from None
        if "\x00" in in_stream:
            line = in_stream[: in_stream.index("\x00")].count("\n") + 1
            raise ImportRefused(
                f"Line {line} holds a NUL character: this is not a text CSV file "
                "(a spreadsheet saved under a .csv name?)."
            )
        in_stream = in_stream.lstrip("\ufeff")
        try:
            return build_dataset(csv.reader(io.StringIO(in_stream)), lambda n: f"Line {n}")
        except csv.Error as error:
            raise ImportRefused(f"The file is not valid CSV: {error}.") from None


class XLSX(base_formats.XLSX):
    def create_dataset(self, in_stream):
        import zipfile

        import openpyxl

        try:
            book = openpyxl.load_workbook(io.BytesIO(in_stream), read_only=True, data_only=False)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
            raise ImportRefused(f"The file is not an Excel workbook (.xlsx): {error}.") from None
        try:
            sheets = book.sheetnames
            if len(sheets) != 1:
                raise ImportRefused(
                    f"The workbook has {len(sheets)} sheets ({', '.join(sheets)}); an import "
                    "reads exactly one. Keep only the sheet to import."
                )
            sheet = book[sheets[0]]
            return build_dataset(
                sheet.iter_rows(values_only=True), lambda n: f"Row {n} of sheet “{sheets[0]}”"
            )
        finally:
            book.close()


class JSON(base_formats.JSON):
    def create_dataset(self, in_stream):
        if isinstance(in_stream, bytes):
            in_stream = in_stream.decode("utf-8-sig", errors="strict")
        try:
            data = json.loads(in_stream)
        except json.JSONDecodeError as error:
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
        return tablib.Dataset(*[[item[h] for h in headers] for item in data], headers=headers)


FORMATS = [CSV, XLSX, JSON]
