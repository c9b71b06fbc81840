"""What users install: the sdist and the wheel that ``python -m build`` makes, installed in
a fresh virtual environment, give a working ``modelcheck`` command whose catalogue is
shipped inside the installed package (not read from the source tree). Where no C compiler
is found, the wheel built from the sdist has no C helpers, and its pure-Python records and
fingerprints check the same states.

The builds run in this environment without isolation (setuptools and build are test
extras), on a copy of the source tree less its build products, caches and virtual
environments: they need no network and leave the tree as it was. ``python -m build``
makes the sdist and then the wheel from the sdist, so a file missing from the sdist
breaks the wheel.

The new environment is made from the base interpreter (``venv`` uses
``sys._base_executable``, even when the tests run in a venv themselves, or in a venv of a
venv) without its site-packages: those belong to the base interpreter, not to the
environment that runs the tests, and may lack the dependencies or hold another copy of
modelcheck. The dependencies are the ones installed here, so the installs need no network
and no package index: a directory of links to every entry of this interpreter's
site-packages except modelcheck's own (its packages, its metadata, an editable install's
finder and every ``.pth`` file) is put on the new environment's path by a ``.pth`` file.
Paths a ``.pth`` file adds are not site directories, so the ``.pth`` files they might hold
are never run: nothing there can bring the source tree's modelcheck back.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from dataclasses import dataclass
from email.parser import Parser
from pathlib import Path
from typing import Any

import pytest

import modelcheck
from modelcheck import check, load_spec

pytestmark = pytest.mark.slow  # the builds, and a new venv for each install

ROOT = Path(__file__).resolve().parent.parent

DEPENDENCIES = ["click", "numpy", "z3"]
"""modelcheck's runtime dependencies, by the name they are imported under."""

VERSION = modelcheck.__version__


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
    environ = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONPATH", "VIRTUAL_ENV", "MODELCHECK_PURE_PYTHON")}
    return env_dir, environ


# -- building ---------------------------------------------------------------------------------


def _not_sources(directory: str, names: list[str]) -> set[str]:
    """What a copy of the source tree leaves out: build products, caches, environments."""
    here = Path(directory)
    return {n for n in names
            if n.startswith(".") or n == "__pycache__" or n.endswith((".egg-info", ".so", ".pyc"))
            or (here == ROOT and n in ("build", "dist"))
            or (here / n / "pyvenv.cfg").exists() or (here / n / "conda-meta").is_dir()}


def _build(source: Path, outdir: Path, *options: str, env: dict[str, str] | None = None) -> str:
    r = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(outdir),
                        *options, str(source)], cwd=source, capture_output=True, text=True,
                       env=env, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout + r.stderr


def _only(directory: Path, pattern: str) -> Path:
    found = sorted(directory.glob(pattern))
    assert len(found) == 1, found
    return found[0]


@dataclass(frozen=True)
class Dists:
    sdist: Path
    wheel: Path
    """Built from the sdist, with the C helpers."""
    wheel_without_compiler: Path
    """Built from the sdist where the C compiler fails, as where there is none."""
    log_without_compiler: str


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    work = tmp_path_factory.mktemp("dists")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=_not_sources, symlinks=True)
    _build(source, work / "dist")  # the sdist, then the wheel from the unpacked sdist
    sdist = _only(work / "dist", "*.tar.gz")
    wheel = _only(work / "dist", "*.whl")

    with tarfile.open(sdist) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(work / "unpacked", filter="data")
        else:  # Python 3.11 before 3.11.4
            tar.extractall(work / "unpacked")
    unpacked = _only(work / "unpacked", "modelcheck-*")
    no_compiler = work / "no-compiler"
    no_compiler.write_text("#!/bin/sh\necho 'no C compiler here' >&2\nexit 1\n")
    no_compiler.chmod(0o755)
    log = _build(unpacked, work / "without-compiler", "--wheel",
                 env=dict(os.environ, CC=str(no_compiler)))
    return Dists(sdist, wheel, _only(work / "without-compiler", "*.whl"), log)


def _wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as z:
        return set(z.namelist())


def _metadata(wheel: Path) -> Any:
    with zipfile.ZipFile(wheel) as z:
        return Parser().parsestr(z.read(f"modelcheck-{VERSION}.dist-info/METADATA").decode())


def test_the_sdist_holds_the_sources_and_the_documents_and_no_tests(dists: Dists) -> None:
    with tarfile.open(dists.sdist) as tar:
        names = {n.partition("/")[2] for n in tar.getnames()}
    assert dists.sdist.name == f"modelcheck-{VERSION}.tar.gz"
    assert {"LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml", "setup.py",
            "modelcheck/__init__.py", "modelcheck/_speedups.c", "modelcheck/py.typed",
            "specs/raft.py"} <= names
    assert not [n for n in names if n.startswith("tests")]


def test_the_wheel_carries_the_metadata_the_c_helpers_and_the_catalogue(dists: Dists) -> None:
    names = _wheel_names(dists.wheel)
    info = f"modelcheck-{VERSION}.dist-info"
    assert {"modelcheck/py.typed", "modelcheck/_speedups.pyi", "modelcheck_specs/raft.py",
            f"{info}/licenses/LICENSE", f"{info}/entry_points.txt"} <= names
    assert [n for n in names if n.startswith("modelcheck/_speedups.") and n.endswith(".so")]
    meta = _metadata(dists.wheel)
    assert meta["Name"] == "modelcheck" and meta["Version"] == VERSION
    assert meta["License-Expression"] == "MIT" and meta["Requires-Python"] == ">=3.11"
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    assert {"Homepage", "Documentation", "Changelog"} <= set(urls)
    classifiers = meta.get_all("Classifier")
    assert "Programming Language :: Python :: 3.11" in classifiers
    assert "Typing :: Typed" in classifiers
    requires = [r.partition(";")[0] for r in meta.get_all("Requires-Dist") if ";" not in r]
    assert sorted(requires) == ["click>=8.1", "numpy>=1.26", "z3-solver>=4.12"]


def test_without_a_c_compiler_the_wheel_is_built_without_the_c_helpers(dists: Dists) -> None:
    assert "no C compiler here" in dists.log_without_compiler
    with_c, without = _wheel_names(dists.wheel), _wheel_names(dists.wheel_without_compiler)
    assert not [n for n in without if n.endswith(".so")]
    assert {n for n in with_c if not n.endswith(".so") and ".dist-info/" not in n} == {
        n for n in without if ".dist-info/" not in n}


# -- installing -------------------------------------------------------------------------------


def test_the_fresh_venv_reaches_these_dependencies_and_no_modelcheck(tmp_path: Path) -> None:
    env_dir, environ = _fresh_venv(tmp_path)
    probe = ("import importlib.util, json, sys\n"
             "print(json.dumps({'path': sys.path, 'found': {n: (s.origin if (s := "
             "importlib.util.find_spec(n)) else None) for n in sys.argv[1:]}}))")
    names = [*DEPENDENCIES, "modelcheck", "modelcheck_specs"]
    r = subprocess.run([str(env_dir / "bin" / "python"), "-c", probe, *names],
                       cwd=tmp_path, capture_output=True, text=True, env=environ, check=True)
    seen = json.loads(r.stdout)
    found = seen["found"]
    assert found.pop("modelcheck") is None and found.pop("modelcheck_specs") is None
    for name, origin in found.items():
        here = __import__(name).__file__
        assert origin is not None and Path(origin).resolve() == Path(here).resolve(), name
    outer = set(_site_packages())
    assert [p for p in seen["path"] if p and Path(p).resolve() in outer] == []


@dataclass(frozen=True)
class Installed:
    env_dir: Path
    environ: dict[str, str]
    elsewhere: Path
    """A directory with no source tree in it, where the commands run."""

    def run(self, *command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.env_dir / "bin" / command[0]), *command[1:]],
                              cwd=self.elsewhere, capture_output=True, text=True,
                              env=self.environ, timeout=600)


def _install(wheel: Path, tmp_path: Path) -> Installed:
    env_dir, environ = _fresh_venv(tmp_path)
    pip = subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet",
                          "--no-deps", "--no-index", str(wheel)], cwd=tmp_path,
                         capture_output=True, text=True, env=environ, timeout=600)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    return Installed(env_dir, environ, elsewhere)


PROBE = """\
import importlib.metadata, json
import modelcheck, modelcheck_specs
from modelcheck import fingerprint, state
print(json.dumps({"files": [modelcheck.__file__, modelcheck_specs.__file__],
                  "version": modelcheck.__version__,
                  "metadata_version": importlib.metadata.version("modelcheck"),
                  "accelerated": [state.ACCELERATED, fingerprint.ACCELERATED]}))
"""


@pytest.fixture(scope="module")
def raft_counts() -> tuple[int, int]:
    """Distinct and generated states of raft, checked here from the source tree."""
    stats = check(load_spec("raft"), params={"max_log_len": 0}).stats
    return stats.distinct_states, stats.generated_states


def _check_installed(installed: Installed, raft_counts: tuple[int, int]) -> list[bool]:
    """Checks the installed copy from another directory; whether it uses the C helpers."""
    r = installed.run("modelcheck", "verify", "raft", "--param", "max_log_len=0", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    result = json.loads(r.stdout)
    assert result["status"] == "ok"
    assert (result["stats"]["distinct_states"], result["stats"]["generated_states"]) == \
        raft_counts

    version = f"modelcheck, version {VERSION}\n"
    assert installed.run("modelcheck", "--version").stdout == version
    for args in (["--version"], ["--help"], ["no-such-command"]):
        script = installed.run("modelcheck", *args)
        module = installed.run("python", "-m", "modelcheck", *args)
        assert (module.returncode, module.stdout, module.stderr) == (
            script.returncode, script.stdout, script.stderr), args
    assert script.returncode == 2

    r = installed.run("python", "-c", PROBE)
    assert r.returncode == 0, r.stderr
    probe = json.loads(r.stdout)
    for file in probe["files"]:  # the installed copy, not the source tree
        assert Path(file).is_relative_to(installed.env_dir), file
    assert probe["version"] == probe["metadata_version"] == VERSION
    pip_check = installed.run("python", "-m", "pip", "check")
    assert [line for line in pip_check.stdout.splitlines() if "modelcheck" in line] == []
    accelerated: list[bool] = probe["accelerated"]
    return accelerated


def test_wheel_install_runs_verify_from_another_directory(
        dists: Dists, raft_counts: tuple[int, int], tmp_path: Path) -> None:
    installed = _install(dists.wheel, tmp_path)
    assert _check_installed(installed, raft_counts) == [True, True]
    assert sys.prefix != str(installed.env_dir)


def test_wheel_built_without_a_c_compiler_checks_the_same_states_in_pure_python(
        dists: Dists, raft_counts: tuple[int, int], tmp_path: Path) -> None:
    installed = _install(dists.wheel_without_compiler, tmp_path)
    assert _check_installed(installed, raft_counts) == [False, False]
