"""One way to find a row by the name an analyst writes: the list's URL filters, the admin's
filters and every import follow the same rules.

In order: the exact name (the natural key); the name in any case; an actor's short name;
one of the row's other names (an actor's aliases, a place's alternative names, one per
line), in any case. Never a database id: a number is a name like any other. A name that
fits several rows is refused naming them; a name that fits none is refused with the
nearest names, "Did you mean …?".
"""

import difflib
import re
from dataclasses import dataclass

from django.db.models import Q

from .models import Actor, Aircraft, Incident, Location, Source


@dataclass(frozen=True)
class Naming:
    key: str
    noun: str
    short: str | None = None
    others: str | None = None  # a text field holding other names, one per line


NAMINGS = {
    Actor: Naming("name", "actor", short="short_name", others="aliases"),
    Location: Naming("name", "location", others="alternative_names"),
    Aircraft: Naming("designation", "aircraft"),
    Source: Naming("title", "source"),
    Incident: Naming("ref", "incident"),
}


class UnknownName(ValueError):
    """A name no row has, or several have; the message says which, and what might do."""


def _one_line(name):
    """A regex matching ``name`` as a whole line of a multi-line text field."""
    return r"(^|\n)\s*" + re.escape(name) + r"\s*(\r?\n|$)"


def find(model, name, noun=None):
    """The row of ``model`` that ``name`` names, by the rules above."""
    naming = NAMINGS[model]
    noun = noun or naming.noun
    name = " ".join(str(name).split())
    if not name:
        raise UnknownName(f"Give the {noun}'s name.")
    rows = model._default_manager
    exact = rows.filter(**{naming.key: name}).first()
    if exact is not None:
        return exact
    match = Q(**{f"{naming.key}__iexact": name})
    if naming.short:
        match |= Q(**{f"{naming.short}__iexact": name})
    if naming.others:
        match |= Q(**{f"{naming.others}__iregex": _one_line(name)})
    found = list(rows.filter(match)[:5])
    if len(found) == 1:
        return found[0]
    if found:
        names = ", ".join(f"“{getattr(row, naming.key)}”" for row in found)
        raise UnknownName(f"“{name[:60]}” names several {noun}s: {names}. Write the full name.")
    raise UnknownName(f"Unknown {noun} “{name[:60]}”: no {noun} has that name.{hint(model, name)}")


def hint(model, name):
    """ " Did you mean “al-Tanf”?" for the nearest names, or nothing."""
    naming = NAMINGS[model]
    if model is Incident:  # a million refs: only those holding what was written
        refs = model._default_manager.filter(ref__icontains=name).values_list("ref", flat=True)
        suggestions = list(refs[:3])
        return (
            " Did you mean " + " or ".join(f"“{s}”" for s in suggestions) + "?"
            if suggestions
            else ""
        )
    fields = [f for f in (naming.key, naming.short, naming.others) if f]
    spellings = {}
    for values in model._default_manager.values_list(*fields).iterator():
        canonical = values[0]
        for value in values:
            for spelling in (value or "").splitlines():
                if spelling.strip():
                    spellings.setdefault(spelling.strip().lower(), canonical)
    close = difflib.get_close_matches(name.lower(), list(spellings), n=3, cutoff=0.6)
    containing = [s for s in spellings if name.lower() in s and len(name) >= 3]
    return did_you_mean(list(dict.fromkeys(spellings[s] for s in close + containing[:3]))[:3])


def did_you_mean(suggestions):
    if not suggestions:
        return ""
    return " Did you mean " + " or ".join(f"“{s}”" for s in suggestions) + "?"
