"""Hypothesis strategies that draw valid iptkit objects.

Needs the ``hypothesis`` extra (``pip install iptkit[hypothesis]``).  Importing
this module registers a strategy for every public model, so
``hypothesis.strategies.from_type(Model)`` draws valid instances.  You need
not import it for that: once iptkit and hypothesis are both imported, in
either order, the first ``from_type`` of an iptkit model imports this module
(neither import alone costs the other anything).  Register strategies of your
own for iptkit models after importing this module, which replaces any
registered before it.

Strategies shrink towards the smallest valid value: few items, the earliest
dates, the first enumeration member.

>>> from hypothesis import given
>>> from iptkit.testing import inventories
>>> @given(inventories(max_relationships=3))
... def test_labels_unique(inv):
...     assert len(inv.labels) == len(inv.relationships)
>>> test_labels_unique()
"""

from __future__ import annotations

try:
    import hypothesis as _hypothesis  # noqa: F401  (only to say clearly what is missing)
except ModuleNotFoundError as exc:  # pragma: no cover - CI installs every extra; see the test
    from iptkit._errors import MissingExtraError

    raise MissingExtraError("iptkit.testing", "hypothesis") from exc

from iptkit.testing._checks import findings
from iptkit.testing._common import aware_datetimes, dates, private_text, zone_names
from iptkit.testing._contract import (
    amendments,
    contingency_policies,
    contracts,
    maintenance_agreements,
    obligations,
    parties,
    session_terms,
)
from iptkit.testing._course import (
    courses,
    diagnoses,
    formulations,
    goal_ratings,
    session_records,
    treatment_goals,
)
from iptkit.testing._group import (
    group_courses,
    group_members,
    group_protocols,
    individual_contacts,
    member_attendance,
)
from iptkit.testing._inventory import (
    expectations,
    inventories,
    relationship_changes,
    relationships,
)
from iptkit.testing._life_events import (
    builtin_rule_sets,
    custom_rule_sets,
    focus_pairs,
    life_events,
    rule_sets,
    trigger_rules,
)
from iptkit.testing._measures import (
    changes,
    instruments,
    item_answers,
    measurements,
    scores,
)
from iptkit.testing._protocol import (
    builtin_protocols,
    custom_protocols,
    phase_rules,
    protocols,
)
from iptkit.testing._schedule import (
    maintenance_plans,
    schedule_operations,
    scheduled_sessions,
    schedules,
    session_starts,
)

__all__ = [
    "amendments",
    "aware_datetimes",
    "builtin_protocols",
    "builtin_rule_sets",
    "changes",
    "contingency_policies",
    "contracts",
    "courses",
    "custom_protocols",
    "custom_rule_sets",
    "dates",
    "diagnoses",
    "expectations",
    "findings",
    "focus_pairs",
    "formulations",
    "goal_ratings",
    "group_courses",
    "group_members",
    "group_protocols",
    "individual_contacts",
    "instruments",
    "inventories",
    "item_answers",
    "life_events",
    "maintenance_agreements",
    "maintenance_plans",
    "measurements",
    "member_attendance",
    "obligations",
    "parties",
    "phase_rules",
    "private_text",
    "protocols",
    "relationship_changes",
    "relationships",
    "rule_sets",
    "schedule_operations",
    "scheduled_sessions",
    "schedules",
    "scores",
    "session_records",
    "session_starts",
    "session_terms",
    "treatment_goals",
    "trigger_rules",
    "zone_names",
]
