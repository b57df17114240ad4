"""Dates as analysts write them, at the precision they are known."""


def _day(d):
    return f"{d.day} {d:%b %Y}"


def format_date_range(start, end, precision):
    """Render start..end (inclusive) at a precision: day, week, month or year.

    >>> from datetime import date
    >>> format_date_range(date(2016, 6, 1), date(2016, 6, 30), "month")
    'June 2016'
    >>> format_date_range(date(2023, 3, 1), date(2023, 7, 31), "month")
    'Mar–Jul 2023'
    >>> format_date_range(date(2023, 7, 23), date(2023, 7, 23), "day")
    '23 Jul 2023'
    """
    if start is None:
        return ""
    end = end or start
    if precision == "year":
        return str(start.year) if start.year == end.year else f"{start.year}–{end.year}"
    if precision == "month":
        if (start.year, start.month) == (end.year, end.month):
            return f"{start:%B %Y}"
        if start.year == end.year:
            return f"{start:%b}–{end:%b %Y}"
        return f"{start:%b %Y}–{end:%b %Y}"
    if precision == "week":
        return f"week of {_day(start)}"
    if start == end:
        return _day(start)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{_day(end)}"
    if start.year == end.year:
        return f"{start.day} {start:%b}–{_day(end)}"
    return f"{_day(start)}–{_day(end)}"
