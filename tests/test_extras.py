"""Optional features name the extra they need when it is missing (design.md, "Layers")."""

from __future__ import annotations

import subprocess
import sys

import pytest

import iptkit


def test_missing_extra_error_is_both_kinds() -> None:
    """An iptkit error, and an ImportError for code that guards optional imports."""
    error = iptkit.MissingExtraError("iptkit.testing", "hypothesis")
    assert isinstance(error, iptkit.IptkitError)
    assert isinstance(error, ImportError)
    assert (error.feature, error.extra) == ("iptkit.testing", "hypothesis")
    assert 'pip install "iptkit[hypothesis]"' in str(error)


def test_testing_without_hypothesis_names_the_extra() -> None:
    """With hypothesis absent, importing iptkit.testing says which extra to install."""
    code = (
        "import sys\n"
        "sys.modules['hypothesis'] = None\n"
        "import iptkit\n"
        "try:\n"
        "    import iptkit.testing\n"
        "except iptkit.MissingExtraError as exc:\n"
        "    print(exc.extra)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "hypothesis"


@pytest.mark.parametrize("name", ["iptkit.testing"])
def test_with_the_extra_it_imports(name: str) -> None:
    """CI installs every extra: the optional modules import."""
    module = __import__(name, fromlist=["_"])
    assert module.__name__ == name
