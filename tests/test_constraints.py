"""constraints.txt pins every package the project installs (runtime, postgres and test extras), and
this environment was installed with it: two machines running the README's commands get the same
versions."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9._-]+)==([^\s;]+)", line)
        assert m, f"constraints.txt: not an exact pin: {line!r}"
        pins[canonicalize_name(m.group(1))] = m.group(2)
    return pins


def _closure(root: str, extras: set[str]) -> set[str]:
    """The project's installed dependencies, recursively, with the markers of this machine."""
    seen: set[str] = set()
    todo: list[tuple[str, set[str]]] = [(root, extras)]
    while todo:
        name, wanted = todo.pop()
        for raw in metadata.requires(name) or []:
            req = Requirement(raw)
            if req.marker is not None and not any(
                    req.marker.evaluate({"extra": e}) for e in (wanted or {""})):
                continue
            dep = canonicalize_name(req.name)
            if dep not in seen:
                seen.add(dep)
                todo.append((dep, set(req.extras)))
    return seen


def test_constraints_pin_every_installed_dependency_at_its_installed_version() -> None:
    pins = _pins()
    assert "piconext-exporter" not in pins  # the project itself is installed from the checkout
    needed = _closure("piconext-exporter", {"postgres", "test"})
    assert {"weasyprint", "fonttools", "pikepdf", "pypdf", "pgserver", "psycopg"} <= needed
    unpinned = sorted(needed - set(pins))
    assert not unpinned, f"add to constraints.txt (see its header): {unpinned}"
    wrong = sorted((n, metadata.version(n), pins[n]) for n in needed if metadata.version(n) != pins[n])
    assert not wrong, f"installed versions differ from constraints.txt (installed, pinned): {wrong}"


def test_readme_and_ci_install_with_the_constraints() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    block = readme.split("```bash", 1)[1].split("```", 1)[0]
    commands = [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert len(commands) == 2, commands  # the README's first lines: two commands
    assert all("-c constraints.txt" in c for c in commands), commands
    assert commands[1] in ci.splitlines(), ".ci/run must run the README's test command as written"
