"""iptkit's ``hypothesis`` entry point, kept outside the iptkit package.

Hypothesis loads every ``hypothesis`` entry point whenever it is imported, in
any project of the environment.  Loading ``iptkit._hypothesis`` would import
the whole iptkit package first, so the entry point is this top-level module:
it imports only :mod:`sys` and does nothing unless iptkit is already imported
(if iptkit is imported later, iptkit registers its strategies itself).
See :mod:`iptkit._hypothesis`.
"""

import sys


def _hypothesis_setup_hook() -> None:
    """Let ``st.from_type`` draw iptkit models, if iptkit is imported."""
    if "iptkit" in sys.modules:
        from iptkit._hypothesis import _hypothesis_setup_hook as setup

        setup()
