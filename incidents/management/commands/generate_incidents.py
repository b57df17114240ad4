"""Deterministic synthetic incidents at realistic proportions, for benchmarks and trials.

    manage.py generate_incidents --count 1000000 --seed 1

About 2,000 actors in hierarchies, 5,000 places, 300 aircraft types and 200 sources
(each scaled down for small counts), then incidents with 1–3 actors, 0–2 aircraft and 1–3
citations, dated over ten years, with skewed types. Rows are written with ``bulk_create``
in batches, without history (they are not anyone's edits). Generated refs start with "G"
(``GAB-2019-0042``), so they never collide with real ones.
"""

import datetime
import random
import string

from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from tqdm import tqdm

from incidents.bulk import insert_sql
from incidents.models import (
    Actor,
    ActorRole,
    Aircraft,
    AircraftMission,
    AircraftRole,
    Incident,
    IncidentActor,
    IncidentAircraft,
    IncidentSource,
    IncidentType,
    Location,
    LocationKind,
    RiskTier,
    Source,
    Status,
)

BATCH = 10_000
FIRST_DAY = datetime.date(2015, 1, 1)
DAYS = 3652
# Skewed as a theatre log is: many intercepts and overflights, few negotiations.
TYPE_WEIGHTS = {
    IncidentType.AIR_INTERCEPT: 30,
    IncidentType.ISR_OVERFLIGHT: 20,
    IncidentType.UNSAFE_AIR_MANOEUVRE: 12,
    IncidentType.AIRSPACE_INCURSION: 8,
    IncidentType.AIR_STRIKE: 8,
    IncidentType.GROUND_ENCOUNTER: 6,
    IncidentType.GROUND_OFFENSIVE: 5,
    IncidentType.DECONFLICTION_CONTACT: 4,
    IncidentType.DEPLOYMENT: 3,
    IncidentType.WITHDRAWAL: 2,
    IncidentType.NEGOTIATION: 1,
    IncidentType.STRATEGIC_DEVELOPMENT: 1,
}
DOMAIN = {
    IncidentType.GROUND_ENCOUNTER: "land",
    IncidentType.GROUND_OFFENSIVE: "land",
    IncidentType.DEPLOYMENT: "land",
    IncidentType.WITHDRAWAL: "land",
    IncidentType.NEGOTIATION: "land",
    IncidentType.STRATEGIC_DEVELOPMENT: "land",
}
COUNTRIES = ["RU", "US", "SY", "IR", "TR", "IQ", "IL", "LB", "JO", "GB", "FR"]


def prefix(number):
    """G + two letters: 676 prefixes × 9,999 refs per year."""
    letters = string.ascii_uppercase
    return "G" + letters[number // 26 % 26] + letters[number % 26]


class Command(BaseCommand):
    help = "Add COUNT deterministic synthetic incidents (and what they refer to)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, count, seed, **options):
        if count < 1:
            raise CommandError("--count must be at least 1.")
        if Incident.objects.filter(ref__startswith="G").exists():
            raise CommandError(
                "This database already holds generated incidents (refs starting with G); "
                "use a fresh database for another set."
            )
        rng = random.Random(seed)
        scale = min(1.0, max(count / 100_000, 0.01))
        with transaction.atomic():
            actors = self.make_actors(rng, max(20, int(2000 * scale)))
            places = self.make_places(rng, max(20, int(5000 * scale)))
            aircraft = self.make_aircraft(max(10, int(300 * scale)))
            sources = self.make_sources(rng, max(5, int(200 * scale)))
        self.make_incidents(rng, count, actors, places, aircraft, sources)
        self.stderr.write(f"Generated {count:,} incidents (seed {seed}).")

    def make_actors(self, rng, total):
        """Forces of a few countries, each a tree three levels deep."""
        roots = [
            Actor(name=f"Generated forces {c}", kind="state_forces", country=c) for c in COUNTRIES
        ]
        Actor.objects.bulk_create(roots)
        level, made = roots, list(roots)
        depth = 0
        while len(made) < total:
            depth += 1
            children = []
            for parent in level:
                for branch in range(rng.randint(2, 6)):
                    if len(made) + len(children) >= total:
                        break
                    children.append(
                        Actor(
                            name=f"{parent.name} / unit {depth}.{len(made) + len(children)}",
                            short_name=f"G{parent.country}{len(made) + len(children)}",
                            kind="state_forces" if branch % 3 else "militia",
                            country=parent.country,
                            parent=parent,
                        )
                    )
            Actor.objects.bulk_create(children, batch_size=BATCH)
            made.extend(children)
            level = children or roots
        return [actor.pk for actor in made]

    def make_places(self, rng, total):
        regions = [
            Location(
                name=f"Generated region {n}",
                kind=LocationKind.GOVERNORATE,
                latitude=round(rng.uniform(32.5, 37.0), 4),
                longitude=round(rng.uniform(35.8, 42.0), 4),
                country="SY",
            )
            for n in range(max(1, total // 100))
        ]
        Location.objects.bulk_create(regions)
        places = [
            Location(
                name=f"Generated place {n}",
                kind=rng.choice([LocationKind.CITY, LocationKind.GARRISON, LocationKind.AIR_BASE]),
                parent=region,
                latitude=round(region.latitude + rng.uniform(-0.8, 0.8), 4),
                longitude=round(region.longitude + rng.uniform(-0.8, 0.8), 4),
                admin1=region.name,
                country="SY",
                radius_km=55.0 if n % 250 == 0 else None,
            )
            for n, region in enumerate(rng.choice(regions) for _ in range(total - len(regions)))
        ]
        Location.objects.bulk_create(places, batch_size=BATCH)
        return [place.pk for place in places]

    def make_aircraft(self, total):
        roles = list(AircraftRole.values)
        rows = [
            Aircraft(
                designation=f"GEN-{n:03d}",
                role=roles[n % len(roles)],
                crewed=roles[n % len(roles)] != AircraftRole.UAV,
            )
            for n in range(total)
        ]
        Aircraft.objects.bulk_create(rows)
        return [row.pk for row in rows]

    def make_sources(self, rng, total):
        rows = [
            Source(title=f"Generated report {n}", reliability=rng.choice("ABCDEF"))
            for n in range(total)
        ]
        Source.objects.bulk_create(rows)
        return [row.pk for row in rows]

    def make_incidents(self, rng, count, actors, places, aircraft, sources):
        """Plain ``executemany`` inserts with ids chosen here: ``bulk_create`` spent most
        of its time building model instances (a million took 8 minutes; this, about 2)."""
        types, weights = list(TYPE_WEIGHTS), list(TYPE_WEIGHTS.values())
        labels = {kind: f"Generated {kind.label.lower()} " for kind in types}
        roles = [ActorRole.INITIATOR, ActorRole.TARGET, ActorRole.PARTICIPANT]
        missions = [AircraftMission.INTERCEPTING, AircraftMission.INTERCEPTED]
        statuses, risks = list(Status.values), list(RiskTier.values)
        ops = connection.ops
        now = ops.adapt_datetimefield_value(timezone.now())
        days = [
            ops.adapt_datefield_value(FIRST_DAY + datetime.timedelta(days=n))
            for n in range(DAYS + 31)
        ]
        first_id = (Incident.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
        serial = {}
        incident_sql = insert_sql(
            Incident,
            [
                "id",
                "ref",
                "title",
                "summary",
                "incident_type",
                "domain",
                "date_start",
                "date_end",
                "date_precision",
                "location",
                "location_precision",
                "status",
                "risk_tier",
                "us_safety",
                "us_professionalism",
                "deconfliction_channel_used",
                "created_at",
                "updated_at",
                "version",
            ],
        )
        # every row starts at version 1, as a save through the ORM would
        actor_sql = insert_sql(IncidentActor, ["incident", "actor", "role", "version"])
        aircraft_sql = insert_sql(IncidentAircraft, ["incident", "aircraft", "role", "version"])
        source_sql = insert_sql(
            IncidentSource, ["incident", "source", "excerpt", "credibility", "version"]
        )
        done = 0
        with tqdm(total=count, unit=" incidents", disable=None) as progress:
            while done < count:
                size = min(BATCH, count - done)
                incidents, links, flights, citations = [], [], [], []
                for pk in range(first_id + done, first_id + done + size):
                    offset = rng.randrange(DAYS)
                    start = FIRST_DAY + datetime.timedelta(days=offset)
                    span = rng.choice((0, 0, 0, 0, 1, 6, 29))
                    kind = rng.choices(types, weights)[0]
                    number = serial.get(start.year, 0)
                    serial[start.year] = number + 1
                    ref = f"{prefix(number // 9999)}-{start.year}-{number % 9999 + 1:04d}"
                    incidents.append(
                        (
                            pk,
                            ref,
                            labels[kind] + ref,
                            "Synthetic incident for benchmarks.",
                            kind,
                            DOMAIN.get(kind, "air"),
                            days[offset],
                            days[offset + span],
                            "day" if span < 6 else "month",
                            rng.choice(places),
                            "exact",
                            rng.choice(statuses),
                            rng.choice(risks),
                            "unknown",
                            "unknown",
                            "unknown",
                            now,
                            now,
                            1,
                        )
                    )
                    for role, actor in zip(
                        roles, rng.sample(actors, rng.randint(1, 3)), strict=False
                    ):
                        links.append((pk, actor, role, 1))
                    for role, plane in zip(
                        missions, rng.sample(aircraft, rng.randint(0, 2)), strict=False
                    ):
                        flights.append((pk, plane, role, 1))
                    for source in rng.sample(sources, rng.randint(1, 3)):
                        citations.append((pk, source, "A generated excerpt.", rng.randint(1, 6), 1))
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.executemany(incident_sql, incidents)
                    cursor.executemany(actor_sql, links)
                    cursor.executemany(aircraft_sql, flights)
                    cursor.executemany(source_sql, citations)
                done += size
                progress.update(size)
        with connection.cursor() as cursor:
            for sql in ops.sequence_reset_sql(
                no_style(), [Incident, IncidentActor, IncidentAircraft, IncidentSource]
            ):
                cursor.execute(sql)
