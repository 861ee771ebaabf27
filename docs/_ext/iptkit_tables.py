"""Tables generated from the code at build time, so the pages cannot drift from it.

``iptkit-protocol-table`` renders one row per protocol in
:data:`iptkit.protocols.BUILTIN_PROTOCOLS`.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

HEADERS = (
    "Name",
    "Population",
    "Sessions (min / typical / max)",
    "Minutes",
    "Frequencies",
    "Format",
    "Pre-treatment contact",
    "Phase rule (initial, termination)",
    "Focus areas",
)


def _protocol_row(protocol: Any) -> tuple[str, ...]:
    rule = protocol.phase_rule
    return (
        f"``{protocol.name}``",
        protocol.population,
        f"{protocol.min_sessions} / {protocol.typical_sessions} / {protocol.max_sessions}",
        f"{protocol.min_minutes}-{protocol.max_minutes}"
        if protocol.min_minutes != protocol.max_minutes
        else str(protocol.min_minutes),
        ", ".join(f.value for f in protocol.frequencies),
        protocol.format.value,
        "yes" if protocol.pre_treatment else "no",
        f"({rule.initial}, {rule.termination})",
        f"{len(protocol.focus_areas)}: " + ", ".join(a.value for a in protocol.focus_areas),
    )


def _cell(text: str) -> nodes.entry:
    entry = nodes.entry()
    paragraph = nodes.paragraph()
    if text.startswith("``") and text.endswith("``"):
        paragraph += nodes.literal(text=text[2:-2])
    else:
        paragraph += nodes.Text(text)
    entry += paragraph
    return entry


def _table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> nodes.table:
    table = nodes.table(classes=["iptkit-generated"])
    group = nodes.tgroup(cols=len(headers))
    table += group
    for _ in headers:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    head_row = nodes.row()
    for header in headers:
        head_row += _cell(header)
    head += head_row
    group += head
    body = nodes.tbody()
    for row in rows:
        body_row = nodes.row()
        for text in row:
            body_row += _cell(text)
        body += body_row
    group += body
    return table


class ProtocolTable(SphinxDirective):
    """Render the built-in protocols as a table."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from iptkit.protocols import BUILTIN_PROTOCOLS

        rows = [_protocol_row(protocol) for protocol in BUILTIN_PROTOCOLS.values()]
        return [_table(HEADERS, rows)]


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the table directives."""
    app.add_directive("iptkit-protocol-table", ProtocolTable)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
