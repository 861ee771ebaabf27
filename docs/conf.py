"""Sphinx configuration for the iptkit documentation.

The build works offline: nothing is fetched unless ``IPTKIT_DOCS_INTERSPHINX=1``
is set, which links type names to the Python, attrs and cattrs documentation.
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.ext.napoleon import Config as NapoleonConfig
from sphinx.ext.napoleon.docstring import GoogleDocstring
from sphinx.pycode import ModuleAnalyzer
from sphinx.util import logging

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

project = "iptkit"
author = "The iptkit developers"
copyright = "2026, The iptkit developers"
release = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "iptkit_tables",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# -- API reference ------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
# Defaults as written in the source ("FocusArea.GRIEF", not its repr).
autodoc_preserve_defaults = True
autodoc_class_signature = "mixed"
# Google-style sections (Args, Returns, Raises, Attributes) are read by
# napoleon's parser, called from ``_google_style`` below rather than loaded as
# an extension: napoleon would read the summary of every attribute or
# property ("Some words: more words") as "type: description".
# ``Attributes:`` sections become fields of the class, so attrs fields are
# not described twice.
_NAPOLEON = NapoleonConfig(
    napoleon_numpy_docstring=False, napoleon_use_ivar=True, napoleon_use_rtype=False
)

# Names from outside iptkit that cannot be linked without the network.
nitpick_ignore_regex = [
    ("py:class", r"(datetime|dt|enum|fractions|decimal|zoneinfo)\..*"),
    ("py:class", r"(collections\.abc|typing|types)\..*"),
    ("py:class", r"(attrs|attr|cattrs|hypothesis|dateutil)\..*"),
    ("py:class", r"(T|Any|NoneType|SearchStrategy|DrawFn|Iterator|Iterable|Sequence)"),
    ("py:obj", r"(typing|collections\.abc)\..*"),
    ("py:func", r"(attrs|cattrs|hypothesis)\..*"),
    # Type variables and private helper types in signatures.
    ("py:class", r"iptkit\.(\w+\.)*_\w+\.(T|IssueDict)"),
    ("py:data", r"typing\..*"),
    ("py:exc", r"(ValueError|TypeError|KeyError)"),
]

if os.environ.get("IPTKIT_DOCS_INTERSPHINX") == "1":
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "attrs": ("https://www.attrs.org/en/stable/", None),
        "cattrs": ("https://catt.rs/en/stable/", None),
        "hypothesis": ("https://hypothesis.readthedocs.io/en/latest/", None),
    }


def _source_doc(obj: Any, name: str) -> list[str] | None:
    """Return the doc comment of the module-level constant ``name`` that is ``obj``.

    Public constants are defined in private modules and re-exported, so the
    comment (``#: ...`` above it, or a string below it) is in the defining
    module, not in the one autodoc reads.
    """
    # Only modules the public API already imported: they hold every public object.
    loaded = sorted(m for m in sys.modules if m == "iptkit" or m.startswith("iptkit."))
    for module_name in loaded:
        if getattr(sys.modules[module_name], name, None) is not obj:
            continue
        analyzer = ModuleAnalyzer.for_module(module_name)
        analyzer.find_attr_docs()
        doc = analyzer.attr_docs.get(("", name))
        if doc:
            return list(doc)
    return None


def _document_reexported_data(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """Give a re-exported constant its own doc comment, not its type's docstring."""
    if what != "data":
        return
    doc = _source_doc(obj, name.rpartition(".")[2])
    if doc is None:
        logging.getLogger(__name__).warning("%s has no doc comment where it is defined", name)
        lines[:] = []
    else:
        lines[:] = doc


def _field_lines(spec: Any) -> list[str]:
    """Describe one model field as an attribute of its class."""
    from iptkit._model import describe

    c = spec.constraints
    facts = [describe(spec.shape), "required" if spec.required else "optional"]
    if c.ge is not None and c.le is not None:
        facts.append(f"{c.ge} to {c.le}")
    elif c.ge is not None:
        facts.append(f"at least {c.ge}")
    elif c.le is not None:
        facts.append(f"at most {c.le}")
    unit = "characters" if spec.type is str or spec.type == (str | None) else "items"
    if c.min_len == 1:
        facts.append("not empty")
    elif c.min_len is not None:
        facts.append(f"at least {c.min_len} {unit}")
    if c.max_len is not None:
        facts.append(f"at most {c.max_len} {unit}")
    if c.private:
        facts.append("private: hidden from repr")
    summary = f"{c.doc} " if c.doc else ""
    text = f"{summary}*({'; '.join(facts)})*".replace("\\", "\\\\")
    return ["", f".. py:attribute:: {spec.name}", "", f"   {text}"]


def _document_model_fields(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """Document the fields of an iptkit model, with their constraints, as its attributes."""
    from iptkit._model import field_specs, is_model

    if what != "class" or not is_model(obj):
        return
    for spec in field_specs(obj):
        lines.extend(_field_lines(spec))
    lines.append("")


def _document_exception_bases(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """Say which exceptions an iptkit exception derives from (what ``except`` catches)."""
    if what != "exception":
        return
    bases = [
        f":exc:`~{b.__module__}.{b.__qualname__}`"
        if b.__module__ != "builtins"
        else f"``{b.__name__}``"
        for b in obj.__bases__
    ]
    # Public exceptions are documented under ``iptkit``, not their private module.
    bases = [b.replace("iptkit._errors.", "iptkit.") for b in bases]
    lines[:0] = ["Derives from " + ", ".join(bases) + ".", ""]


def _google_style(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """Turn Google-style sections into reStructuredText; leave attribute summaries as prose."""
    if what in {"attribute", "property", "data"}:
        return
    lines[:] = GoogleDocstring(lines, _NAPOLEON, app, what, name, obj, options).lines()


#: The public modules, where a reference to a private module's name is looked up.
_PUBLIC_MODULES = ("iptkit", "iptkit.measures", "iptkit.protocols", "iptkit.testing")
_PRIVATE_NAME = re.compile(r"iptkit(\.\w+)*\._\w+\.(\w+)\Z")


def _resolve_to_public(app: Sphinx, env: Any, node: Any, contnode: Any) -> Any:
    """Point ``iptkit._module.Name`` (from type hints) and bare ``Name`` at the public name."""
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"]
    match = _PRIVATE_NAME.match(target)
    if match is None and "." in target:
        return None
    short = match.group(2) if match else target
    domain = env.get_domain("py")
    for module in _PUBLIC_MODULES:
        public = f"{module}.{short}"
        if public in domain.objects:
            return domain.resolve_xref(
                env, node["refdoc"], app.builder, node["reftype"], public, node, contnode
            )
    return None


def setup(app: Sphinx) -> None:
    """Register the handlers that document constants, model fields and exception bases."""
    app.connect("autodoc-process-docstring", _google_style, priority=400)
    app.connect("missing-reference", _resolve_to_public)
    app.connect("autodoc-process-docstring", _document_reexported_data)
    app.connect("autodoc-process-docstring", _document_model_fields)
    app.connect("autodoc-process-docstring", _document_exception_bases)


# -- Doctests in the pages ----------------------------------------------------
# Only the ``{doctest}`` blocks of the pages: pytest already runs the examples in
# docstrings (``--doctest-modules``).
doctest_test_doctest_blocks = ""
_EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "data"
doctest_global_setup = f"""
import datetime as dt
from pathlib import Path
import iptkit
from iptkit import *
EXAMPLES = Path({str(_EXAMPLES)!r})
"""

# -- HTML ---------------------------------------------------------------------
html_theme = "furo"
html_title = "iptkit"
html_static_path: list[str] = []
