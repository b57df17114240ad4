"""The XLSX export, written while it is sent (see below for how)."""

import datetime
import math
import re
import zipfile

from .exports import EXPORT_COLUMNS, _text, incident_rows

#
# A workbook is a zip of XML parts. The small parts are fixed; the sheet is written a chunk
# of rows at a time into a zip entry that is compressed and sent as it grows (zipfile puts
# the sizes in a data descriptor after an entry when its output cannot seek). So the first
# bytes leave before the second chunk is read, and memory stays flat. Strings are inline
# (t="inlineStr"): a shared-string table would have to be complete before the sheet.
# No ZIP64: Excel refuses the ZIP64 headers of a streamed entry, and a sheet at the row
# limit (EXPORT_XLSX_MAX_ROWS) stays far below the 2 GiB an entry may hold without them.

XLSX_DATE = datetime.date(1900, 3, 1)  # Excel's serial dates are right from here on
EXCEL_EPOCH = datetime.date(1899, 12, 30)
EXCEL_CELL_CHARS = 32_767  # longer text is cut there, as openpyxl and Excel cut it
# Characters XML 1.0 cannot hold, and text that looks like Excel's escape for them.
XML_ESCAPED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")
XML_BLANK = frozenset(" \t\r\n")
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
PACKAGE_TYPE = "http://schemas.openxmlformats.org/package/2006"
RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SPREADSHEET = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
XLSX_PARTS = {
    "[Content_Types].xml": (
        f'<Types xmlns="{PACKAGE_TYPE}/content-types">'
        '<Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{CONTENT_TYPE}.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        f'ContentType="{CONTENT_TYPE}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{CONTENT_TYPE}.styles+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        f'<Relationships xmlns="{PACKAGE_TYPE}/relationships">'
        f'<Relationship Id="rId1" Type="{RELATIONSHIP}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        f'<workbook xmlns="{SPREADSHEET}" xmlns:r="{RELATIONSHIP}">'
        '<sheets><sheet name="incidents" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{PACKAGE_TYPE}/relationships">'
        f'<Relationship Id="rId1" Type="{RELATIONSHIP}/worksheet" '
        'Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{RELATIONSHIP}/styles" Target="styles.xml"/>'
        "</Relationships>"
    ),
    # Cell styles: 0 plain, 1 bold (the header), 2 a date as yyyy-mm-dd.
    "xl/styles.xml": (
        f'<styleSheet xmlns="{SPREADSHEET}">'
        '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
        "</borders>"
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        "</cellStyleXfs>"
        '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" '
        'applyNumberFormat="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    ),
}
SHEET_PART = "xl/worksheets/sheet1.xml"
SHEET_HEAD = (
    f'<worksheet xmlns="{SPREADSHEET}" xmlns:r="{RELATIONSHIP}">'
    '<sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
    "</sheetView></sheetViews><sheetData>"
)
SHEET_TAIL = "</sheetData></worksheet>"
LETTERS = [chr(65 + i) if i < 26 else "A" + chr(65 + i - 26) for i in range(len(EXPORT_COLUMNS))]


def _excel_escape(match):
    text = match.group(0)
    return f"_x{ord(text):04X}_" if len(text) == 1 else "_x005F" + text


def _inline_string(ref, text, style=""):
    """A text cell: XML-escaped, a CR kept as &#13; (a parser reads a bare CR as LF)."""
    text = text[:EXCEL_CELL_CHARS]
    space = ' xml:space="preserve"' if text[0] in XML_BLANK or text[-1] in XML_BLANK else ""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if XML_ESCAPED.search(text):
        text = XML_ESCAPED.sub(_excel_escape, text)
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _sheet_row(number, row):
    cells = []
    for letter, value in zip(LETTERS, row, strict=True):
        if value is None or value == "":
            continue
        ref = f"{letter}{number}"
        if isinstance(value, str):
            cells.append(_inline_string(ref, value))
        elif isinstance(value, bool):
            cells.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
            cells.append(f'<c r="{ref}"><v>{value!r}</v></c>')
        elif isinstance(value, datetime.date) and value >= XLSX_DATE:
            cells.append(f'<c r="{ref}" s="2"><v>{(value - EXCEL_EPOCH).days}</v></c>')
        else:  # a date Excel cannot count, an infinite number: kept as text
            cells.append(_inline_string(ref, str(_text(value))))
    if row[-1] is None or row[-1] == "":
        # The sheet has no <dimension> (its length is not known when it starts), so a
        # reader that sizes a row by its last cell (openpyxl read-only, the importer)
        # needs an empty cell in the last column.
        cells.append(f'<c r="{LETTERS[-1]}{number}"/>')
    return f'<row r="{number}">{"".join(cells)}</row>'


class Outbox:
    """A write-only, unseekable stream: what the zip has written since it was last taken."""

    def __init__(self):
        self.parts = []

    def write(self, data):
        self.parts.append(bytes(data))
        return len(data)

    def flush(self):
        pass

    def take(self):
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def _zip_entry(name):
    """Every entry carries one fixed time, so the same rows give the same bytes."""
    entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    entry.compress_type = zipfile.ZIP_DEFLATED
    return entry


def xlsx_chunks(queryset):
    """One sheet, header row bold and frozen, dates typed as dates, numbers as numbers."""
    outbox = Outbox()
    with zipfile.ZipFile(outbox, "w", allowZip64=False) as archive:
        for name, xml in XLSX_PARTS.items():
            archive.writestr(_zip_entry(name), XML_DECLARATION + xml)
        with archive.open(_zip_entry(SHEET_PART), "w") as sheet:
            header = "".join(
                _inline_string(f"{letter}1", name, ' s="1"')
                for letter, name in zip(LETTERS, EXPORT_COLUMNS, strict=True)
            )
            sheet.write(f'{XML_DECLARATION}{SHEET_HEAD}<row r="1">{header}</row>'.encode())
            yield outbox.take()
            number = 1
            for rows in incident_rows(queryset):
                xml = []
                for row in rows:
                    number += 1
                    xml.append(_sheet_row(number, row))
                sheet.write("".join(xml).encode("utf-8"))
                if data := outbox.take():
                    yield data
            sheet.write(SHEET_TAIL.encode())
    yield outbox.take()
