"""iptkit: typed models, validation and scheduling for Interpersonal Psychotherapy."""

from iptkit._codec import SCHEMA_VERSION, dump, dumps, load, loads
from iptkit._contract import (
    Amendment,
    ContingencyPolicy,
    MaintenanceAgreement,
    MissedSessionPolicy,
    Modality,
    Obligation,
    Party,
    PartyRole,
    SessionTerms,
    TreatmentContract,
)
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
from iptkit._schema import json_schema

__all__ = [
    "SCHEMA_VERSION",
    "Amendment",
    "ContactFrequency",
    "ContingencyPolicy",
    "DisputeStage",
    "Expectation",
    "ExpectationHolder",
    "FocusArea",
    "Format",
    "Frequency",
    "InterpersonalInventory",
    "IptkitError",
    "Issue",
    "MaintenanceAgreement",
    "MissedSessionPolicy",
    "Modality",
    "Obligation",
    "Party",
    "PartyRole",
    "Phase",
    "PhaseRule",
    "Protocol",
    "Relationship",
    "RelationshipChange",
    "RelationshipRole",
    "ScheduleError",
    "SessionTerms",
    "TreatmentContract",
    "ValidationError",
    "dump",
    "dumps",
    "json_schema",
    "load",
    "loads",
    "phase_lengths",
    "phase_of",
]
