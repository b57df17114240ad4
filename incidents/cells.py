"""How an incident's related rows read in one export cell, for every export path.

The admin export (row by row, through the Resource) and the streamed exports (a chunk of
rows at a time) both build their derived cells here, so the two cannot drift apart.
"""

import datetime

from django.conf import settings

from .models import ActorRole
from .widgets import SEPARATOR


def role_cells(links):
    """{column: "name; name"} from (role, actor name) pairs in (role, name) order.

    Written out rather than looped over ``ROLE_COLUMNS``: it runs once per exported row."""
    by_role = {}
    for role, name in links:
        if role in by_role:
            by_role[role].append(name)
        else:
            by_role[role] = [name]
    join = SEPARATOR.join
    participants = join(by_role.get(ActorRole.PARTICIPANT, ()))
    supporting = join(by_role.get(ActorRole.SUPPORTING, ()))
    mediators = join(by_role.get(ActorRole.MEDIATOR, ()))
    return {
        "initiators": join(by_role.get(ActorRole.INITIATOR, ())),
        "targets": join(by_role.get(ActorRole.TARGET, ())),
        "other_actors": join(filter(None, (participants, supporting, mediators))),
        "participants": participants,
        "supporting": supporting,
        "mediators": mediators,
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
