"""Strict cell readers for imports: a wrong cell is an error naming what is expected.

django-import-export's own widgets guess (``03/04/2026`` read month-first, ``3.5`` read as
3); these refuse and say why. Each ``clean`` raises ``ValueError`` with an analyst's
message; the resource turns it into an error on the row and column.
"""

import datetime
import math
import re
import unicodedata

from import_export import widgets

from . import names

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
SEPARATOR = "; "

# A spreadsheet runs a cell that starts with one of these (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
# ...as well as a cell that reaches one past blanks a spreadsheet may trim or not show:
# spaces of every width, zero-width and format characters (U+200B, U+FEFF, U+2060),
# controls, combining marks with nothing to combine with, and the blank "letters".
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"})
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
FORMULA_STARTS = frozenset("=+-@")
# Most cells start with one of these and need no closer look.
PLAIN_STARTS = frozenset(chr(c) for c in range(0x21, 0x7F)) - FORMULA_STARTS - {"'"}
# What we refuse on import: a formula or DDE payload, not a summary that opens with "- ".
FORMULA_CELL = re.compile(r"^(?:[=@]|[+-][A-Za-z(])")
# Markup in a cell is a paste from a web page or an injection attempt, never a fact.
HTML_TAG = re.compile(r"<\s*/?\s*[A-Za-z!][^<>]*>")


def visible_start(value, length=2):
    """The first ``length`` characters of ``value`` a spreadsheet could act on: leading
    blanks skipped, each character read through NFKC (full-width ＝ is =, ﹢ is +).

    Normalised one character at a time, not as a string: NFKC composes "=" and a
    following U+0338 into "≠", which would hide the "=" a spreadsheet sees."""
    found = ""
    for raw in value:
        for char in unicodedata.normalize("NFKC", raw) if raw > "\x7f" else raw:
            if found or not (
                char in BLANK_LETTERS or unicodedata.category(char) in INVISIBLE_CATEGORIES
            ):
                found += char
                if len(found) >= length:
                    return found
    return found


def runs_as_formula(value):
    """Whether a spreadsheet could run the text cell ``value`` as a formula."""
    if value[:1] in PLAIN_STARTS:
        return False
    return value.startswith(("\t", "\r", "\n")) or visible_start(value, 1) in FORMULA_STARTS


def defuse(value):
    """Make a text cell inert in Excel, LibreOffice and Google Sheets: prefix the cell, as
    it is, with an apostrophe. Every export path calls this on every text cell.

    A cell that already starts with apostrophes before a formula gets one more, so that
    ``undefuse`` can take exactly one away from every cell it finds so made."""
    if (
        isinstance(value, str)
        and value
        and value[0] not in PLAIN_STARTS
        and runs_as_formula(value.lstrip("'"))
    ):
        return "'" + value
    return value


def undefuse(value):
    """The inverse of ``defuse``: ``undefuse(defuse(cell)) == cell`` for every cell, so
    that an exported file imports back unchanged."""
    if isinstance(value, str) and value[:1] == "'" and runs_as_formula(value.lstrip("'")):
        return value[1:]
    return value


def looks_like_formula(value):
    """An imported cell that would be a formula: refused, whatever blanks or full-width
    forms come first. A defused cell starts with its apostrophe, so it is taken."""
    return bool(FORMULA_CELL.match(visible_start(value)))


def clean_text(value):
    """A text cell as stored: None for empty, surrounding blanks removed, formulas refused."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value)
    if "\x00" in value:
        raise ValueError("The cell holds a NUL character; remove it.")
    if looks_like_formula(value):
        raise ValueError(
            f"“{value[:40]}” looks like a spreadsheet formula; imports take plain text. "
            "Remove the leading character or prefix the cell with an apostrophe (')."
        )
    tag = HTML_TAG.search(value)
    if tag:
        raise ValueError(
            f"The cell holds HTML markup ({tag.group(0)[:30]}); imports take plain text."
        )
    # Blanks around the cell go first, then the apostrophe ``defuse`` added: a defused
    # " =1" (leading space) comes back with its space.
    return undefuse(value.strip())


def is_blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def split_cell(value):
    """Several values in one cell, separated by "; ", in order and without repeats."""
    text = clean_text(value)
    seen = []
    for part in text.split(";"):
        part = part.strip()
        if part and part not in seen:
            seen.append(part)
    return seen


class TypedWidget(widgets.Widget):
    """Cells keep their Python type (dates, numbers) so XLSX exports stay typed."""

    def __init__(self):
        super().__init__(coerce_to_string=False)

    def render(self, value, obj=None, **kwargs):
        return value


class TextWidget(TypedWidget):
    def __init__(self, required=False):
        super().__init__()
        self.required = required

    def clean(self, value, row=None, **kwargs):
        text = clean_text(value)
        if self.required and not text:
            raise ValueError("This column is required and the cell is empty.")
        return text

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else value


class StrictDateWidget(TypedWidget):
    """ISO 8601 dates only: 2023-07-23. A real date cell from a spreadsheet is taken as is."""

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return None
        if isinstance(value, datetime.datetime):
            if value.time() != datetime.time(0):
                raise ValueError(f"“{value}” has a time of day; give the date only (YYYY-MM-DD).")
            return value.date()
        if isinstance(value, datetime.date):
            return value
        text = str(value).strip()
        if not ISO_DATE.fullmatch(text):
            raise ValueError(
                f"“{text[:40]}” is not an ISO 8601 date. Write YYYY-MM-DD, e.g. 2023-07-23 "
                "(03/04/2026 could be 3 April or 4 March, so it is never guessed)."
            )
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"“{text}” is not a date in the calendar.") from None


class StrictIntegerWidget(TypedWidget):
    """A whole number of zero or more, or empty for unknown."""

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return None
        if isinstance(value, bool):
            raise ValueError(f"“{value}” is not a whole number.")
        if isinstance(value, float):
            if not value.is_integer():
                raise ValueError(f"“{value}” is not a whole number.")
            value = int(value)
        text = str(value).strip()
        if not re.fullmatch(r"\d{1,9}", text):
            raise ValueError(f"“{text[:40]}” is not a whole number of zero or more.")
        return int(text)


class StrictFloatWidget(TypedWidget):
    """A finite decimal number with a point (33.5), or empty; kept a number in XLSX."""

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return None
        if isinstance(value, bool):
            raise ValueError(f"“{value}” is not a number.")
        try:
            number = float(str(value).strip())
        except ValueError:
            raise ValueError(
                f"“{str(value)[:40]}” is not a decimal number (write it with a point: 33.5)."
            ) from None
        if not math.isfinite(number):
            raise ValueError(f"“{value}” is not a finite number.")
        return number


class YesNoWidget(TypedWidget):
    """yes or no (also true/false, 1/0)."""

    TRUE = {"yes", "true", "1", "y"}
    FALSE = {"no", "false", "0", "n"}

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        text = clean_text(value).lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValueError(f"“{text[:20]}” is not yes or no.")

    def render(self, value, obj=None, **kwargs):
        return "yes" if value else "no"


class ChoiceWidget(TypedWidget):
    """One value of a choice list, by its code or its label, in any case."""

    def __init__(self, choices, required=False):
        super().__init__()
        self.choices = choices
        self.required = required
        self.lookup = {}
        for code, label in choices.choices:
            self.lookup[str(code).lower()] = code
            self.lookup[str(label).lower()] = code

    def clean(self, value, row=None, **kwargs):
        text = clean_text(value)
        if not text:
            if self.required:
                raise ValueError("This column is required and the cell is empty.")
            return None
        try:
            return self.lookup[text.lower()]
        except KeyError:
            allowed = ", ".join(str(code) for code in self.choices.values)
            raise ValueError(f"“{text[:40]}” is not one of: {allowed}.") from None


class NaturalKeyWidget(TypedWidget):
    """A related row by the name an analyst writes (names.find's rules), never by id."""

    def __init__(self, model, label=None):
        super().__init__()
        self.model = model
        self.field = names.NAMINGS[model].key
        self.label = label or names.NAMINGS[model].noun

    def lookup(self, name):
        try:
            return names.find(self.model, name, self.label)
        except names.UnknownName as error:
            raise ValueError(str(error)) from None

    def clean(self, value, row=None, lookup_cache=None, **kwargs):
        name = clean_text(value)
        if not name:
            return None
        if lookup_cache is None:
            return self.lookup(name)
        key = (self.model, self.field, name)
        if key not in lookup_cache:
            try:
                lookup_cache[key] = self.lookup(name)
            except ValueError as error:
                lookup_cache[key] = error
        if isinstance(lookup_cache[key], ValueError):
            raise lookup_cache[key]
        return lookup_cache[key]

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else getattr(value, self.field)
