"""``pip install .`` in a fresh virtual environment gives a working ``modelcheck`` command
whose catalogue is shipped inside the installed package (not read from the source tree)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_install_runs_verify_from_another_directory(tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    # Reuse the dependencies already installed here: the test is about packaging, and
    # must not need the network.
    venv.EnvBuilder(system_site_packages=True, with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
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
