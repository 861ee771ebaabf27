"""Built-in IPT protocol variants.

Each is a :class:`~iptkit.Protocol`; its docstring cites the source and marks
the values that are conventions rather than a manual's statement.

>>> from iptkit import protocols
>>> sorted(protocols.BUILTIN_PROTOCOLS)
['adolescent', 'brief', 'community_group', 'counseling', 'group', 'ipsrt', 'ipt_uk', \
'standard', 'stuart']
>>> protocols.IPT_UK.phase_rule
PhaseRule(initial=4, termination=4, min_middle=1)
>>> protocols.GROUP is protocols.WHO_GROUP
True
"""

from __future__ import annotations

from iptkit._protocol import (
    ADOLESCENT,
    BRIEF,
    BUILTIN_PROTOCOLS,
    COMMUNITY_GROUP,
    COUNSELING,
    GROUP,
    IPSRT,
    IPT_UK,
    STANDARD,
    STUART,
    WHO_GROUP,
)

__all__ = [
    "ADOLESCENT",
    "BRIEF",
    "BUILTIN_PROTOCOLS",
    "COMMUNITY_GROUP",
    "COUNSELING",
    "GROUP",
    "IPSRT",
    "IPT_UK",
    "STANDARD",
    "STUART",
    "WHO_GROUP",
]
