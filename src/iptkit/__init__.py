"""iptkit: typed models, validation and scheduling for Interpersonal Psychotherapy."""

from typing import TYPE_CHECKING

from iptkit import measures as measures
from iptkit import protocols as protocols
from iptkit._checks import (
    CHECKS,
    CheckConfig,
    CheckInfo,
    Finding,
    Severity,
    check,
    load_check_plugins,
    register_check,
    registered_checks,
    unregister_check,
)
from iptkit._classify import (
    IPSRT_RULES,
    STUART_RULES,
    WEISSMAN_RULES,
    Candidate,
    Evidence,
    EvidenceRule,
    FocusAssessment,
    FocusDisagreement,
    FocusPair,
    RuleSet,
    TriggerRule,
    classify,
    compare_focus,
)
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
from iptkit._corpus import DocumentResult, findings_rows, read_documents
from iptkit._course import (
    Diagnosis,
    DiagnosisSystem,
    EndReason,
    Formulation,
    FormulationRevision,
    GoalRating,
    Outcome,
    Relapse,
    ReturnKind,
    ScoredAt,
    SessionRecord,
    TaskOutcome,
    Technique,
    TreatmentCourse,
    TreatmentGoal,
)
from iptkit._errors import IptkitError, Issue, MissingExtraError, ScheduleError, ValidationError
from iptkit._focus import Alias, DisputeStage, FocusArea
from iptkit._group import GroupCourse, GroupMember, IndividualContact, MemberAttendance
from iptkit._hypothesis import _on_iptkit_imported
from iptkit._inventory import (
    ContactFrequency,
    Expectation,
    ExpectationHolder,
    InterpersonalInventory,
    Relationship,
    RelationshipChange,
    RelationshipRole,
)
from iptkit._io._codec import SCHEMA_VERSION, dump, dumps, load, loads
from iptkit._io._ical import to_ical
from iptkit._io._schema import json_schema
from iptkit._life_events import LifeEvent, LifeEventKind
from iptkit._model import evolve, field, model
from iptkit._protocol import (
    Format,
    Frequency,
    Phase,
    PhaseRule,
    Protocol,
    phase_lengths,
    phase_of,
)
from iptkit._recurrence import MonthlyBy
from iptkit._schedule import (
    MaintenancePlan,
    Schedule,
    ScheduledSession,
    plan_sessions,
)
from iptkit._sessions import SessionKind, SessionStatus, session_label

__all__ = [
    "CHECKS",
    "IPSRT_RULES",
    "SCHEMA_VERSION",
    "STUART_RULES",
    "WEISSMAN_RULES",
    "Alias",
    "Amendment",
    "Candidate",
    "CheckConfig",
    "CheckInfo",
    "ContactFrequency",
    "ContingencyPolicy",
    "Diagnosis",
    "DiagnosisSystem",
    "DisputeStage",
    "DocumentResult",
    "EndReason",
    "Evidence",
    "EvidenceRule",
    "Expectation",
    "ExpectationHolder",
    "Finding",
    "FocusArea",
    "FocusAssessment",
    "FocusDisagreement",
    "FocusPair",
    "Format",
    "Formulation",
    "FormulationRevision",
    "Frequency",
    "GoalRating",
    "GroupCourse",
    "GroupMember",
    "IndividualContact",
    "InterpersonalInventory",
    "IptkitError",
    "Issue",
    "LifeEvent",
    "LifeEventKind",
    "MaintenanceAgreement",
    "MaintenancePlan",
    "MemberAttendance",
    "MissedSessionPolicy",
    "MissingExtraError",
    "Modality",
    "MonthlyBy",
    "Obligation",
    "Outcome",
    "Party",
    "PartyRole",
    "Phase",
    "PhaseRule",
    "Protocol",
    "Relapse",
    "Relationship",
    "RelationshipChange",
    "RelationshipRole",
    "ReturnKind",
    "RuleSet",
    "Schedule",
    "ScheduleError",
    "ScheduledSession",
    "ScoredAt",
    "SessionKind",
    "SessionRecord",
    "SessionStatus",
    "SessionTerms",
    "Severity",
    "TaskOutcome",
    "Technique",
    "TreatmentContract",
    "TreatmentCourse",
    "TreatmentGoal",
    "TriggerRule",
    "ValidationError",
    "check",
    "classify",
    "compare_focus",
    "dump",
    "dumps",
    "evolve",
    "field",
    "findings_rows",
    "json_schema",
    "load",
    "load_check_plugins",
    "loads",
    "model",
    "phase_lengths",
    "phase_of",
    "plan_sessions",
    "read_documents",
    "register_check",
    "registered_checks",
    "session_label",
    "to_ical",
    "unregister_check",
]

if TYPE_CHECKING:
    __version__: str
else:

    def __getattr__(name: str) -> str:
        # __version__ is read from the installed metadata on first use:
        # importing importlib.metadata would add ~15 ms to every `import iptkit`.
        if name == "__version__":
            global __version__
            from importlib.metadata import PackageNotFoundError, version

            try:
                __version__ = version("iptkit")
            except PackageNotFoundError:  # a source tree on sys.path, never installed
                __version__ = "0+unknown"
            return __version__
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)


# Last: lets hypothesis's from_type() draw iptkit models if hypothesis is imported.
_on_iptkit_imported()
