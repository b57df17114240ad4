"""How an incident's related rows read in one export cell, for every export path.

The admin export (row by row, through the Resource) and the streamed exports (a chunk of
rows at a time) both build their derived cells here, so the two cannot drift apart.
"""

import datetime

from django.conf import settings

from .models import ActorRole
from .widgets import SEPARATOR

#: The role columns of an incident row, and the roles each one lists.
ROLE_COLUMNS = {
    "initiators": (ActorRole.INITIATOR,),
    "targets": (ActorRole.TARGET,),
    "other_actors": (ActorRole.PARTICIPANT, ActorRole.SUPPORTING, ActorRole.MEDIATOR),
    "participants": (ActorRole.PARTICIPANT,),
    "supporting": (ActorRole.SUPPORTING,),
    "mediators": (ActorRole.MEDIATOR,),
}


def role_cells(links):
    """{column: "name; name"} from (role, actor name) pairs in (role, name) order."""
    by_role = {}
    for role, name in links:
        by_role.setdefault(role, []).append(name)
    return {
        column: SEPARATOR.join(name for role in roles for name in by_role.get(role, ()))
        for column, roles in ROLE_COLUMNS.items()
    }


def aircraft_cell(designations):
    """Aircraft types in order, each once (an MQ-9 intercepted and escorting is one type)."""
    return SEPARATOR.join(dict.fromkeys(designations))


def sources_cell(citations):
    """ "Title (B2); Title (C3)" from (title, reliability, credibility) triples."""
    return SEPARATOR.join(f"{title} ({grade}{cred})" for title, grade, cred in citations)


def incidents_url_prefix():
    """``SITE_URL``'s incident pages, to which an export row adds its ref."""
    return f"{settings.SITE_URL.rstrip('/')}/incidents/"


def incident_url(ref):
    return f"{incidents_url_prefix()}{ref}/"


def utc_timestamp(moment):
    """ISO 8601 in UTC to the second: 2024-12-08T10:00:00Z."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
