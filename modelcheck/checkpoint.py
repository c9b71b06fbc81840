"""Checkpoints of a breadth-first search: save progress to a directory, resume from it.

A checkpoint is taken between two chunks of the frontier, where the search is
consistent: every stored fingerprint's successors are either all generated or not at
all. It holds

* ``meta.json`` — the format, the model (spec, variant, params, symmetry), the counters,
  the position in the current level, and two hash probes;
* ``store-K.npy`` — the fingerprints, parents and actions of every distinct state
  (16 bytes a state);
* ``frontier-K.pickle`` — the states still to expand in the current level and those
  already found for the next one (pickle: a checkpoint is a private file of this
  machine's runs, unlike trace files, which never use pickle).

``K`` counts the checkpoints of a run; ``meta.json`` is replaced atomically after the
other two files are complete and names them, so a crash while saving leaves the previous
checkpoint intact.

Fingerprints are Python ``hash`` values, which depend on the interpreter's string hash
seed and, before Python 3.12, on the address of ``None``. The probes record both, and a
resume in a process whose hashing differs is refused with the way to fix it (the
``modelcheck`` command arranges stable hashing itself: see :func:`stable_hashing`).
"""

from __future__ import annotations

import ctypes
import json
import os
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from modelcheck.errors import UsageError
from modelcheck.state import JSON

__all__ = ["FORMAT", "Checkpoint", "hash_probes", "load", "save", "stable_hashing"]

FORMAT = "modelcheck-checkpoint/1"
_ADDR_NO_RANDOMIZE = 0x0040000
_PROBE = "modelcheck-probe"


def hash_probes() -> dict[str, int]:
    """Hash values that differ between processes exactly when fingerprints may."""
    return {"str": hash(_PROBE), "none": hash(None)}


def _personality(persona: int) -> int:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.personality(persona))
    except (OSError, AttributeError):
        return -1


def stable_hashing(argv: list[str] | None = None) -> None:
    """Re-execute this command with hashing that is the same in every process.

    Sets ``PYTHONHASHSEED`` (to ``0`` unless already set) and, before Python 3.12 on
    Linux, turns off address-space randomisation for the new process (``hash(None)`` is
    its address there), then replaces the current process. Returns without doing
    anything when hashing is already stable or cannot be made so.
    """
    need_seed = os.environ.get("PYTHONHASHSEED", "random") == "random"
    need_fixed_addresses = False
    if sys.version_info < (3, 12) and sys.platform.startswith("linux"):
        current = _personality(0xFFFFFFFF)
        need_fixed_addresses = current >= 0 and not current & _ADDR_NO_RANDOMIZE
    if not need_seed and not need_fixed_addresses:
        return
    if os.environ.get("MODELCHECK_REEXEC"):
        return  # already tried once: do not loop
    env = dict(os.environ, MODELCHECK_REEXEC="1")
    if need_seed:
        env["PYTHONHASHSEED"] = "0"
    if need_fixed_addresses and _personality(_personality(0xFFFFFFFF) | _ADDR_NO_RANDOMIZE) < 0:
        return
    args = argv if argv is not None else list(sys.orig_argv)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, *args[1:]], env)


@dataclass
class Checkpoint:
    """Everything a breadth-first search needs to continue where it stopped."""

    meta: dict[str, JSON]
    fingerprints: npt.NDArray[np.int64]
    parents: npt.NDArray[np.uint32]
    actions: npt.NDArray[np.uint32]
    frontier: list[Any]
    """States of the current level not expanded yet."""
    next_frontier: list[Any]
    """States of the next level found so far."""


def save(directory: str | Path, cp: Checkpoint) -> None:
    """Write ``cp`` to ``directory`` (created if needed), replacing an older checkpoint."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    old = _read_meta(d) if (d / "meta.json").exists() else None
    k = int(old.get("generation", 0)) + 1 if isinstance(old, dict) else 1
    store_file, frontier_file = f"store-{k}.npy", f"frontier-{k}.pickle"
    # Two columns of n rows: the fingerprints (sorted, not aligned with the rows'
    # states) and each state's parent and action packed into one int64.
    n = len(cp.parents)
    if len(cp.fingerprints) != n or len(cp.actions) != n:
        raise ValueError("a checkpoint needs one fingerprint, parent and action per state")
    table = np.empty((n, 2), dtype=np.int64)
    table[:, 0] = cp.fingerprints
    table[:, 1] = (cp.parents.astype(np.int64) << 32) | cp.actions.astype(np.int64)
    with open(d / store_file, "wb") as f:
        np.save(f, table, allow_pickle=False)
        f.flush()
        os.fsync(f.fileno())
    with open(d / frontier_file, "wb") as f:
        pickle.dump((cp.frontier, cp.next_frontier), f, pickle.HIGHEST_PROTOCOL)
        f.flush()
        os.fsync(f.fileno())
    meta = dict(cp.meta, format=FORMAT, generation=k, store=store_file,
                frontier=frontier_file, probes=hash_probes(),
                hash_seed=os.environ.get("PYTHONHASHSEED"))
    tmp = d / "meta.json.tmp"
    tmp.write_text(json.dumps(meta, indent=1), encoding="utf-8")
    os.replace(tmp, d / "meta.json")
    if isinstance(old, dict):
        for key in ("store", "frontier"):
            name = old.get(key)
            if isinstance(name, str) and name not in (store_file, frontier_file):
                (d / name).unlink(missing_ok=True)


def _read_meta(d: Path) -> dict[str, Any]:
    try:
        meta = json.loads((d / "meta.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{d} holds no checkpoint (no meta.json); start one with "
                         "--checkpoint DIR") from None
    except (OSError, ValueError) as e:
        raise UsageError(f"checkpoint {d} is corrupt: meta.json is not readable JSON "
                         f"({e})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise UsageError(f"checkpoint {d} is not a {FORMAT} checkpoint")
    return meta


def load(directory: str | Path) -> Checkpoint:
    """Read the checkpoint in ``directory``; a missing or damaged one is a UsageError."""
    d = Path(directory)
    meta = _read_meta(d)
    probes = meta.get("probes")
    if probes != hash_probes():
        seed = meta.get("hash_seed") or "0"
        raise UsageError(
            f"checkpoint {d} was written by a process that hashes differently from this "
            "one, so its fingerprints would not match. Resume it with the modelcheck "
            f"command and PYTHONHASHSEED={seed} (or unset, for 0), or run Python with "
            f"PYTHONHASHSEED={seed} (and, before Python 3.12 on Linux, under "
            "`setarch -R`)")
    try:
        with open(d / str(meta["store"]), "rb") as f:
            table = np.load(f, allow_pickle=False)
        with open(d / str(meta["frontier"]), "rb") as f:
            frontier, next_frontier = pickle.load(f)
    except (OSError, KeyError, ValueError, EOFError, pickle.UnpicklingError,
            AttributeError, ImportError) as e:
        raise UsageError(f"checkpoint {d} is corrupt or incomplete: "
                         f"{type(e).__name__}: {e}") from None
    if table.ndim != 2 or table.shape[1] != 2 or table.dtype != np.int64:
        raise UsageError(f"checkpoint {d} is corrupt: bad store table {table.shape}")
    links = table[:, 1]
    return Checkpoint(meta, table[:, 0].copy(), (links >> 32).astype(np.uint32),
                      (links & 0xFFFFFFFF).astype(np.uint32), list(frontier),
                      list(next_frontier))
