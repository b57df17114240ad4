"""The vocabularies of the database: each list of codes an incident, actor, place, aircraft
or source may take. Module-level, so that models' constraints (and migrations) can name
them; the database enforces each with a check constraint (``models.in_choices``)."""

from django.db import models


class ActorKind(models.TextChoices):
    STATE_FORCES = "state_forces", "State armed forces"
    STATE_GOVERNMENT = "state_government", "State government"
    MILITIA = "militia", "Militia"
    NON_STATE_ARMED_GROUP = "non_state_armed_group", "Non-state armed group"
    COALITION = "coalition", "Coalition"
    INTERNATIONAL_BODY = "international_body", "International body"
    OTHER = "other", "Other"


class AcledActorType(models.IntegerChoices):
    STATE_FORCES = 1, "1 – State forces"
    REBEL_GROUPS = 2, "2 – Rebel groups"
    POLITICAL_MILITIAS = 3, "3 – Political militias"
    IDENTITY_MILITIAS = 4, "4 – Identity militias"
    RIOTERS = 5, "5 – Rioters"
    PROTESTERS = 6, "6 – Protesters"
    CIVILIANS = 7, "7 – Civilians"
    EXTERNAL_OTHER = 8, "8 – External/other forces"


class LocationKind(models.TextChoices):
    GARRISON = "garrison", "Garrison"
    AIR_BASE = "air_base", "Air base"
    NAVAL_FACILITY = "naval_facility", "Naval facility"
    CITY = "city", "City or town"
    GOVERNORATE = "governorate", "Governorate"
    BORDER_AREA = "border_area", "Border area"
    ZONE = "zone", "Zone"
    COUNTRY = "country", "Country"
    SEA_AREA = "sea_area", "Sea area"


class AircraftRole(models.TextChoices):
    UAV = "uav", "UAV"
    ISR = "isr", "ISR"
    FIGHTER = "fighter", "Fighter"
    STRIKE = "strike", "Strike"
    BOMBER = "bomber", "Bomber"
    TRANSPORT = "transport", "Transport"
    HELICOPTER = "helicopter", "Helicopter"


class DatePrecision(models.TextChoices):
    """How finely a date is known. The interval date_start..date_end says where."""

    DAY = "day", "Day"
    WEEK = "week", "Week"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


class Reliability(models.TextChoices):
    """Admiralty code (STANAG 2511): reliability of the source."""

    A = "A", "A – Completely reliable"
    B = "B", "B – Usually reliable"
    C = "C", "C – Fairly reliable"
    D = "D", "D – Not usually reliable"
    E = "E", "E – Unreliable"
    F = "F", "F – Reliability cannot be judged"


class Credibility(models.IntegerChoices):
    """Admiralty code (STANAG 2511): credibility of one piece of information."""

    CONFIRMED = 1, "1 – Confirmed by other sources"
    PROBABLY_TRUE = 2, "2 – Probably true"
    POSSIBLY_TRUE = 3, "3 – Possibly true"
    DOUBTFUL = 4, "4 – Doubtful"
    IMPROBABLE = 5, "5 – Improbable"
    CANNOT_BE_JUDGED = 6, "6 – Truth cannot be judged"


class IncidentType(models.TextChoices):
    AIR_INTERCEPT = "air_intercept", "Air intercept"
    UNSAFE_AIR_MANOEUVRE = "unsafe_air_manoeuvre", "Unsafe air manoeuvre"
    ISR_OVERFLIGHT = "isr_overflight", "ISR overflight"
    AIRSPACE_INCURSION = "airspace_incursion", "Airspace or zone incursion"
    GROUND_ENCOUNTER = "ground_encounter", "Ground encounter"
    AIR_STRIKE = "air_strike", "Air or drone strike"
    GROUND_OFFENSIVE = "ground_offensive", "Ground offensive"
    DEPLOYMENT = "deployment", "Deployment"
    WITHDRAWAL = "withdrawal", "Withdrawal"
    DECONFLICTION_CONTACT = "deconfliction_contact", "Deconfliction contact or protest"
    NEGOTIATION = "negotiation", "Negotiation or agreement"
    STRATEGIC_DEVELOPMENT = "strategic_development", "Strategic development"


class Domain(models.TextChoices):
    AIR = "air", "Air"
    LAND = "land", "Land"
    SEA = "sea", "Sea"
    SEA_AIR = "sea_air", "Sea-air"


class LocationPrecision(models.TextChoices):
    EXACT = "exact", "Exact place"
    NEAR = "near", "Near the place"
    GOVERNORATE = "governorate", "Somewhere in the governorate"
    COUNTRY = "country", "Somewhere in the country"


class Status(models.TextChoices):
    REPORTED = "reported", "Reported"
    CONFIRMED = "confirmed", "Confirmed"
    DISPUTED = "disputed", "Disputed"


class RiskTier(models.TextChoices):
    """The analyst's own rank (after the European Leadership Network's scale)."""

    NOT_ASSESSED = "not_assessed", "Not assessed"
    NEAR_ROUTINE = "near_routine", "Near-routine"
    SERIOUS = "serious", "Serious"
    HIGH_RISK = "high_risk", "High-risk"


class Safety(models.TextChoices):
    """Official US wording, safety axis ("safe" but "unprofessional" is possible)."""

    UNKNOWN = "unknown", "Unknown"
    SAFE = "safe", "Safe"
    UNSAFE = "unsafe", "Unsafe"


class Professionalism(models.TextChoices):
    UNKNOWN = "unknown", "Unknown"
    PROFESSIONAL = "professional", "Professional"
    UNPROFESSIONAL = "unprofessional", "Unprofessional"


class YesNoUnknown(models.TextChoices):
    UNKNOWN = "unknown", "Unknown"
    YES = "yes", "Yes"
    NO = "no", "No"


class ActorRole(models.TextChoices):
    INITIATOR = "initiator", "Initiator"
    TARGET = "target", "Target"
    PARTICIPANT = "participant", "Participant"
    SUPPORTING = "supporting", "Supporting"
    MEDIATOR = "mediator", "Mediator"


class AircraftMission(models.TextChoices):
    INTERCEPTING = "intercepting", "Intercepting"
    INTERCEPTED = "intercepted", "Intercepted"
    OVERFLYING = "overflying", "Overflying"
    STRIKING = "striking", "Striking"
