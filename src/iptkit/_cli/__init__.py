"""The cli wing: the ``iptkit`` command, its document helpers and the corpus generator.

Nothing outside this package imports it.  The entry point is :func:`main`.
"""

from __future__ import annotations

from iptkit._cli._main import main

__all__ = ["main"]
