"""``pip install .`` in a fresh virtual environment gives a working ``modelcheck`` command
whose catalogue is shipped inside the installed package (not read from the source tree).

The new environment is made from the base interpreter (``venv`` uses
``sys._base_executable``, even when the tests run in a venv themselves) without its
site-packages: those belong to the base interpreter, not to the environment that runs the
tests, and may lack the dependencies or hold another copy of modelcheck. The dependencies
are the ones installed here, so the test needs no network and no package index: a
directory of links to every entry of this interpreter's site-packages except modelcheck's
own (its packages, its metadata, an editable install's finder and every ``.pth`` file) is
put on the new environment's path by a ``.pth`` file. Paths a ``.pth`` file adds are not
site directories, so the ``.pth`` files they might hold are never run: nothing there can
bring the source tree's modelcheck back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each test builds a wheel and installs it in a new venv

ROOT = Path(__file__).resolve().parent.parent

DEPENDENCIES = ["click", "numpy", "z3"]
"""modelcheck's runtime dependencies, by the name they are imported under."""


def _own(name: str) -> bool:
    """Whether a site-packages entry is modelcheck's, or a hook that could import it."""
    lowered = name.lower()
    return lowered.startswith(("modelcheck", "__editable__")) or lowered.endswith(
        (".pth", ".egg-link"))


def _site_packages() -> list[Path]:
    """This interpreter's site-packages directories, in the order it searches them."""
    found: list[Path] = []
    for entry in sys.path:
        path = Path(entry)
        if path.name in ("site-packages", "dist-packages") and path.is_dir() \
                and path.resolve() not in found:
            found.append(path.resolve())
    return found


def _dependencies_of_this_interpreter(into: Path) -> Path:
    """A directory of links to what this interpreter has installed, less modelcheck."""
    into.mkdir()
    for site in _site_packages():
        for entry in site.iterdir():
            link = into / entry.name
            if not _own(entry.name) and not link.exists():  # the first one wins, as on sys.path
                link.symlink_to(entry)
    return into


def _fresh_venv(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=False, with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    deps = _dependencies_of_this_interpreter(tmp_path / "dependencies")
    (Path(site) / "outer-dependencies.pth").write_text(f"{deps}\n", encoding="utf-8")
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return env_dir, environ


def test_the_fresh_venv_reaches_these_dependencies_and_no_modelcheck(tmp_path: Path) -> None:
    env_dir, environ = _fresh_venv(tmp_path)
    probe = ("import importlib.util, json, sys\n"
             "print(json.dumps({n: (s.origin if (s := importlib.util.find_spec(n)) else None)"
             " for n in sys.argv[1:]}))")
    names = [*DEPENDENCIES, "modelcheck", "modelcheck_specs"]
    r = subprocess.run([str(env_dir / "bin" / "python"), "-c", probe, *names],
                       cwd=tmp_path, capture_output=True, text=True, env=environ, check=True)
    found = json.loads(r.stdout)
    assert found.pop("modelcheck") is None and found.pop("modelcheck_specs") is None
    for name, origin in found.items():
        here = __import__(name).__file__
        assert origin is not None and Path(origin).resolve() == Path(here).resolve(), name


def test_wheel_install_runs_verify_from_another_directory(tmp_path: Path) -> None:
    env_dir, environ = _fresh_venv(tmp_path)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-build-isolation", str(ROOT)], check=True, env=environ,
                   cwd=tmp_path, timeout=600)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    r = subprocess.run([str(env_dir / "bin" / "modelcheck"), "verify", "raft", "--json"],
                       cwd=elsewhere, capture_output=True, text=True, env=environ,
                       timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["status"] == "ok"
    where = subprocess.run(
        [str(py), "-c", "import modelcheck_specs, modelcheck; "
                        "print(modelcheck_specs.__file__); print(modelcheck.__file__)"],
        cwd=elsewhere, capture_output=True, text=True, env=environ, check=True)
    for line in where.stdout.split():
        assert str(env_dir) in line, line  # the installed copy, not the source tree
    assert sys.prefix != str(env_dir)
