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

__all__ = [
    "SCHEMA_VERSION",
    "ContactFrequency",
    "DisputeStage",
    "Expectation",
    "ExpectationHolder",
    "FocusArea",
    "InterpersonalInventory",
    "IptkitError",
    "Issue",
    "Relationship",
    "RelationshipChange",
    "RelationshipRole",
    "ScheduleError",
    "ValidationError",
    "dump",
    "dumps",
    "load",
    "loads",
]
