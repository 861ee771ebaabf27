"""Run the ``iptkit`` command line: ``python -m iptkit ...``."""

from __future__ import annotations

if __name__ == "__main__":
    try:
        from iptkit._cli import main
    except KeyboardInterrupt:  # pragma: no cover - Ctrl-C while starting up: no traceback
        raise SystemExit(130) from None
    raise SystemExit(main())
