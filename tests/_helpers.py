"""Helpers shared by the tests."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

import iptkit
from iptkit import Issue, ValidationError
from iptkit._model import is_model

T = TypeVar("T")

#: Public modules whose ``__all__`` may hold models.
PUBLIC_MODULES = ("iptkit", "iptkit.measures", "iptkit.protocols")


def public_models() -> list[type]:
    """Every model class the public API exports."""
    found: dict[str, type] = {}
    for module_name in PUBLIC_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if is_model(obj):
                found[obj.__qualname__] = obj
    return [found[name] for name in sorted(found)]


def public_documents() -> list[type]:
    """Public model classes stored as top-level documents."""
    return [cls for cls in public_models() if getattr(cls, "__iptkit_document__", None)]


def issues_of(call: Callable[[], Any]) -> list[tuple[str, str]]:
    """Run ``call``, which must raise ValidationError, and return (path, code) pairs."""
    with pytest.raises(ValidationError) as info:
        call()
    return [(issue.path, issue.code) for issue in info.value.issues]


def assert_only_json(value: Any, path: str = "$") -> None:
    """Assert ``value`` holds only JSON types (str-keyed dicts, lists and scalars)."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert type(key) is str, f"non-string key at {path}"
            assert_only_json(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            assert_only_json(item, f"{path}[{index}]")
    else:
        assert value is None or type(value) in (str, int, float, bool), (
            f"{type(value).__name__} at {path}"
        )


__all__ = [
    "Issue",
    "assert_only_json",
    "iptkit",
    "issues_of",
    "public_documents",
    "public_models",
]
