"""The hypothesis plugin: cheap to import, yet ``st.from_type(Model)`` just works.

``import hypothesis`` loads iptkit's ``hypothesis`` entry point in every
project of the environment, so it must not import iptkit.  Once both are
imported, in either order, ``st.from_type`` must draw valid iptkit models
through the strategies of :mod:`iptkit.testing`, which is imported only when
hypothesis first asks for an iptkit class.

Most tests run in a fresh interpreter: what a process has imported is the
point, and this test session has imported everything already.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import find
from hypothesis import strategies as st

import _iptkit_hypothesis
import iptkit
import iptkit.testing
from iptkit import _hypothesis

ENTRY_POINT = "_iptkit_hypothesis:_hypothesis_setup_hook"


def run_python(cwd: Path, *parts: str, **env: str) -> Any:
    """Run the code ``parts`` in a fresh interpreter (warnings are errors).

    Each part is dedented on its own.  Returns what the code prints, read as JSON.
    """
    environ = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_NO_PLUGINS"}
    environ.update(env)
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", "\n".join(textwrap.dedent(p) for p in parts)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environ,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def installed() -> None:
    """Skip unless iptkit is installed with its entry point (not merely on the path)."""
    try:
        importlib.metadata.distribution("iptkit")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("iptkit is not installed, only on the path")
    values = [ep.value for ep in importlib.metadata.entry_points(group="hypothesis")]
    assert ENTRY_POINT in values, "reinstall iptkit (pip install -e .): stale entry point"


# Prints which iptkit modules a process holds, as JSON.
_LOADED = """
    def iptkit_modules():
        return sorted(m for m in sys.modules if m == "iptkit" or m.startswith("iptkit."))
"""


@pytest.mark.usefixtures("installed")
class TestImportCost:
    """Importing hypothesis costs iptkit nothing; importing iptkit costs hypothesis nothing."""

    def test_import_hypothesis_imports_no_iptkit(self, tmp_path: Path) -> None:
        """``import hypothesis`` loads the hook module but no module of iptkit."""
        out = run_python(
            tmp_path,
            _LOADED,
            """
            import json, sys
            import hypothesis
            print(json.dumps({
                "iptkit": iptkit_modules(),
                "hook": "_iptkit_hypothesis" in sys.modules,
            }))
            """,
        )
        assert out == {"iptkit": [], "hook": True}

    def test_hook_module_imports_nothing(self, tmp_path: Path) -> None:
        """The entry point's module imports no other module (sys is always loaded)."""
        out = run_python(
            tmp_path,
            """
            import json, sys
            before = set(sys.modules)
            import _iptkit_hypothesis
            print(json.dumps(sorted(set(sys.modules) - before - {"_iptkit_hypothesis"})))
            """,
        )
        assert out == []

    def test_hook_without_iptkit_does_nothing(self, tmp_path: Path) -> None:
        """Calling the hook again, iptkit still not imported, imports nothing of iptkit."""
        out = run_python(
            tmp_path,
            _LOADED,
            """
            import json, sys
            import hypothesis, _iptkit_hypothesis
            _iptkit_hypothesis._hypothesis_setup_hook()
            print(json.dumps(iptkit_modules()))
            """,
        )
        assert out == []

    def test_import_iptkit_imports_no_hypothesis(self, tmp_path: Path) -> None:
        """``import iptkit`` neither imports hypothesis nor the strategies."""
        out = run_python(
            tmp_path,
            """
            import json, sys
            import iptkit, iptkit.measures, iptkit.protocols
            print(json.dumps([m for m in ("hypothesis", "iptkit.testing") if m in sys.modules]))
            """,
        )
        assert out == []

    def test_import_iptkit_without_hypothesis_installed(self, tmp_path: Path) -> None:
        """With hypothesis missing, iptkit imports and works; only iptkit.testing needs it."""
        out = run_python(
            tmp_path,
            """
            import importlib.abc, json, sys

            class NoHypothesis(importlib.abc.MetaPathFinder):
                def find_spec(self, name, path=None, target=None):
                    if name == "hypothesis" or name.startswith("hypothesis."):
                        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
                    return None

            sys.meta_path.insert(0, NoHypothesis())
            import iptkit
            plan = iptkit.protocols.STANDARD.phase_rule
            try:
                import iptkit.testing
            except ImportError as exc:
                testing = type(exc).__name__
            else:
                testing = "imported"
            print(json.dumps({
                "hypothesis": "hypothesis" in sys.modules,
                "version": iptkit.__version__,
                "testing": testing,
            }))
            """,
        )
        assert out == {
            "hypothesis": False,
            "version": importlib.metadata.version("iptkit"),
            "testing": "MissingExtraError",
        }


# Draws a few examples of every model class with @given, and compares what
# from_type draws for three classes with what iptkit.testing's strategy draws
# from the same seed (inferred strategies would draw something else).
_DRAW = """
    import json, sys
    from hypothesis import HealthCheck, Phase, given, seed, settings
    from hypothesis import strategies as st

    def sample(strategy, examples=3):
        drawn = []

        @seed(20240601)
        @settings(
            max_examples=examples,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(strategy)
        def collect(value):
            drawn.append(value)

        collect()
        return drawn

    def check(iptkit):
        from iptkit._hypothesis import lazy_types
        before = "iptkit.testing" in sys.modules
        wrong = {}
        for cls in lazy_types():
            kinds = {type(v).__name__ for v in sample(st.from_type(cls))}
            if kinds != {cls.__name__}:
                wrong[cls.__name__] = sorted(kinds)
        import iptkit.testing as t
        same = {
            name: sample(st.from_type(cls), 5) == sample(strategy, 5)
            for name, cls, strategy in [
                ("InterpersonalInventory", iptkit.InterpersonalInventory, t.inventories()),
                ("Score", iptkit.measures.Score, t.scores()),
                ("Protocol", iptkit.Protocol, t.protocols()),
            ]
        }
        print(json.dumps({
            "testing_before_first_draw": before,
            "classes": len(lazy_types()),
            "wrong_type_drawn": wrong,
            "same_as_testing": same,
        }))
"""


@pytest.mark.usefixtures("installed")
class TestFromType:
    """from_type draws iptkit models whichever is imported first."""

    @pytest.mark.parametrize(
        "imports",
        [
            "import hypothesis\nimport iptkit",
            "import iptkit\nimport hypothesis",
            "import iptkit\nfrom hypothesis import strategies",
            "import iptkit.measures\nimport hypothesis\nimport iptkit",
        ],
        ids=["hypothesis-first", "iptkit-first", "iptkit-then-strategies", "submodule-first"],
    )
    def test_either_order(self, tmp_path: Path, imports: str) -> None:
        """Every model class draws valid instances of itself, by iptkit.testing's strategies."""
        out = run_python(tmp_path, imports, _DRAW, "check(iptkit)")
        assert out["testing_before_first_draw"] is False
        assert out["classes"] >= 25
        assert out["wrong_type_drawn"] == {}
        assert out["same_as_testing"] == {
            "InterpersonalInventory": True,
            "Score": True,
            "Protocol": True,
        }

    def test_without_plugins(self, tmp_path: Path) -> None:
        """With HYPOTHESIS_NO_PLUGINS set, importing iptkit after hypothesis still registers."""
        out = run_python(
            tmp_path,
            "import hypothesis\nimport iptkit",
            _DRAW,
            "check(iptkit)",
            HYPOTHESIS_NO_PLUGINS="1",
        )
        assert out["wrong_type_drawn"] == {}
        assert all(out["same_as_testing"].values())

    def test_testing_imported_first(self, tmp_path: Path) -> None:
        """Importing iptkit.testing before hypothesis registers its strategies directly."""
        out = run_python(tmp_path, "import iptkit.testing\nimport iptkit", _DRAW, "check(iptkit)")
        assert out["testing_before_first_draw"] is True
        assert out["wrong_type_drawn"] == {}
        assert all(out["same_as_testing"].values())


class TestRegistry:
    """The classes that get a lazy resolver are exactly those iptkit.testing registers."""

    def test_lazy_types_match_testing(self, tmp_path: Path) -> None:
        """iptkit.testing registers a strategy for every lazy class, and for no other class."""
        out = run_python(
            tmp_path,
            """
            import json
            import hypothesis
            from hypothesis import strategies as st
            import iptkit
            from iptkit._hypothesis import lazy_types

            registered = []
            real = st.register_type_strategy

            def record(cls, strategy):
                registered.append(f"{cls.__module__}.{cls.__qualname__}")
                real(cls, strategy)

            st.register_type_strategy = record
            import iptkit.testing
            print(json.dumps({
                "registered": sorted(registered),
                "lazy": sorted(f"{c.__module__}.{c.__qualname__}" for c in lazy_types()),
            }))
            """,
        )
        assert out["lazy"]
        assert out["registered"] == out["lazy"]

    def test_lazy_types_are_public_models(self) -> None:
        """Each lazy class is exported by iptkit or iptkit.measures, once."""
        found = _hypothesis.lazy_types()
        assert len(found) == len(set(found))
        public = [getattr(iptkit, n) for n in iptkit.__all__]
        public += [getattr(iptkit.measures, n) for n in iptkit.measures.__all__]
        assert all(any(cls is p for p in public) for cls in found)
        assert iptkit.InterpersonalInventory in found
        assert iptkit.measures.Score in found
        assert iptkit.Issue not in found  # not a model: iptkit.testing has no strategy

    def test_hooks_do_not_replace_testing(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Once iptkit.testing is imported, neither hook registers anything again."""
        calls: list[type] = []
        monkeypatch.setattr(st, "register_type_strategy", lambda cls, s: calls.append(cls))
        _iptkit_hypothesis._hypothesis_setup_hook()
        _hypothesis._hypothesis_setup_hook()
        _hypothesis.register_lazy_strategies()
        assert calls == []

    def test_resolver_falls_back_when_testing_has_no_strategy(self) -> None:
        """A resolver for a class iptkit.testing does not know lets hypothesis infer one."""

        @attrs.frozen
        class Unknown:
            size: int

        st.register_type_strategy(Unknown, _hypothesis._resolve)
        assert find(st.from_type(Unknown), lambda value: True) == Unknown(0)
        assert not _hypothesis._resolving

    def test_resolver_hands_over_to_testing(self) -> None:
        """Called for a known class, the resolver returns iptkit.testing's strategy."""
        strategy = _hypothesis._resolve(iptkit.PhaseRule)
        assert find(strategy, lambda rule: True) == find(
            iptkit.testing.phase_rules(), lambda rule: True
        )


class TestEntryPoint:
    """pyproject.toml declares the cheap hook, and the build ships its module."""

    def test_declared(self) -> None:
        """The only hypothesis entry point is the top-level hook module."""
        import tomllib

        root = Path(__file__).resolve().parent.parent
        pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
        assert list(pyproject["project"]["entry-points"]["hypothesis"].values()) == [ENTRY_POINT]
        module_file = "src/" + ENTRY_POINT.partition(":")[0] + ".py"
        assert (root / module_file).is_file()
        hatch = pyproject["tool"]["hatch"]["build"]["targets"]
        assert module_file in hatch["wheel"]["packages"]
        assert module_file in hatch["sdist"]["include"]

    def test_target_is_callable(self) -> None:
        """The declared hook exists and is callable."""
        assert callable(_iptkit_hypothesis._hypothesis_setup_hook)
