"""Strategies for check findings."""

from __future__ import annotations

from hypothesis import strategies as st

from iptkit._checks import CHECKS, CheckInfo, Finding

__all__ = ["findings"]

_PATHS = st.sampled_from(["$", "$.contract", "$.formulation", "$.sessions[0]", "$.sessions[7]"])
_MESSAGES = st.text(
    st.characters(codec="ascii", categories=["L", "N", "P", "Zs"]), min_size=1, max_size=60
)


def findings() -> st.SearchStrategy[Finding]:
    """A :class:`~iptkit.Finding` of a real check: a code of :data:`iptkit.CHECKS`.

    The severity is that check's default severity; the path is a plausible
    JSON path and the message short ASCII text.  Shrinks towards the first
    check, the path ``$``.
    """

    def build(info: CheckInfo, path: str, message: str) -> Finding:
        return Finding(info.severity, info.code, path, message)

    return st.builds(build, st.sampled_from(CHECKS), _PATHS, _MESSAGES)
