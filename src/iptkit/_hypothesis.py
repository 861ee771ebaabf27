"""Hypothesis plugin hook (entry point group ``hypothesis``).

Hypothesis calls :func:`_hypothesis_setup_hook` when it is imported, so
``st.from_type(Model)`` works for every iptkit model without importing
:mod:`iptkit.testing` first.
"""

from __future__ import annotations


def _hypothesis_setup_hook() -> None:
    import iptkit.testing  # noqa: F401  (importing registers the strategies)
