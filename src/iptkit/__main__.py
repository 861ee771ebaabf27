"""Run the ``iptkit`` command line: ``python -m iptkit ...``."""

from __future__ import annotations

from iptkit._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
