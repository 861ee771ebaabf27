"""iptkit: typed models, validation and scheduling for Interpersonal Psychotherapy."""

from iptkit._codec import SCHEMA_VERSION, dump, dumps, load, loads
from iptkit._errors import IptkitError, Issue, ScheduleError, ValidationError
from iptkit._focus import DisputeStage, FocusArea
from iptkit._inventory import (
    ContactFrequency,
    Expectation,
    ExpectationHolder,
    InterpersonalInventory,
    Relationship,
    RelationshipChange,
    RelationshipRole,
)
from iptkit._protocol import (
    Format,
    Frequency,
    Phase,
    PhaseRule,
    Protocol,
    phase_lengths,
    phase_of,
)

__all__ = [
    "SCHEMA_VERSION",
    "ContactFrequency",
    "DisputeStage",
    "Expectation",
    "ExpectationHolder",
    "FocusArea",
    "Format",
    "Frequency",
    "InterpersonalInventory",
    "IptkitError",
    "Issue",
    "Phase",
    "PhaseRule",
    "Protocol",
    "Relationship",
    "RelationshipChange",
    "RelationshipRole",
    "ScheduleError",
    "ValidationError",
    "dump",
    "dumps",
    "load",
    "loads",
    "phase_lengths",
    "phase_of",
]
