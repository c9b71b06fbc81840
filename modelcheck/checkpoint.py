"""Checkpoints of a breadth-first search: save progress to a directory, resume from it.

A checkpoint is taken between two chunks of the frontier, where the search is
consistent: every stored state's successors are either all generated or not at all. A
breadth-first search stores states in the order it discovers them, so the states still
to expand in the current level and those already found for the next one are exactly the
stored states from ``expand_from`` on: a checkpoint holds no states at all, only the
store, and a resumed search rebuilds the frontier by re-executing each state's path from
its initial state (see :mod:`modelcheck.explore.bfs`). A checkpoint is therefore plain
data, like a trace file: loading one never runs code it contains. It holds

* ``meta.json`` — the format, the model (spec, variant, params, symmetry, numbers of
  inits and action instances), the search options that shape it, the counters, the
  position in the current level, the version of the fingerprint encoding, and a SHA-256
  checksum of the store file and of every other field;
* ``store-K.npy`` — the fingerprints (sorted) and the parent and action of every
  distinct state in discovery order (16 bytes a state), a plain ``.npy`` array read
  without pickle.

``K`` counts the checkpoints of a run; ``meta.json`` is replaced atomically after the
store file is complete and names it, so a crash while saving leaves the previous
checkpoint intact.

Everything is checked on load, before the search uses any of it: the checksum, that the
counts agree with the store (its size, the level boundaries, the position in the level),
and that the links describe a breadth-first search (initial states first, each parent
stored before its children, children in the order of their parents, action indices
within the model's). A damaged or inconsistent checkpoint is a :class:`UsageError`
(exit 2). The format of earlier versions, which pickled the frontier's states, is refused
and never unpickled.

Fingerprints depend on nothing but the states (:mod:`modelcheck.fingerprint`), so a
checkpoint resumes in any process and on any machine; one written with another version of
the fingerprint encoding is refused.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from modelcheck.errors import UsageError
from modelcheck.fingerprint import ENCODING
from modelcheck.state import JSON
from modelcheck.store import NO_PARENT

__all__ = ["FORMAT", "Checkpoint", "load", "prepare", "save"]

FORMAT = "modelcheck-checkpoint/2"
_PICKLED_FORMAT = "modelcheck-checkpoint/1"
_STORE_FILE = re.compile(r"store-[0-9]{1,12}\.npy")
_OLD_FILE = re.compile(r"(store-[0-9]{1,12}\.npy|frontier-[0-9]{1,12}\.pickle)")
"""Files a checkpoint may name and a newer one may delete: nothing else, whatever a
``meta.json`` says."""


@dataclass(frozen=True)
class Checkpoint:
    """Everything a breadth-first search needs to continue where it stopped.

    Stored states ``expand_from`` to ``next_level - 1`` are the current level's states
    not expanded yet, and ``next_level`` on those found so far for the next level; the
    current level is level ``depth`` (an initial state is at depth 1).
    """

    model: dict[str, JSON]
    """What the search was of: spec, variant, params, symmetry, and the numbers of inits
    and action instances (the range of the stored action indices)."""
    options: dict[str, JSON]
    """The search options that shape what is stored: ``max_depth`` and ``deadlock``."""
    depth: int
    expand_from: int
    next_level: int
    generated: int
    seconds: float
    cut: bool
    """Whether the depth bound kept a new state out of the store."""
    pending_sometimes: tuple[str, ...]
    """The ``sometimes`` properties no stored state satisfies."""
    fingerprints: npt.NDArray[np.int64]
    """Every stored fingerprint, sorted (not aligned with the links)."""
    parents: npt.NDArray[np.uint32]
    actions: npt.NDArray[np.uint32]

    @property
    def distinct(self) -> int:
        """Stored states."""
        return len(self.parents)

    def _fields(self) -> dict[str, JSON]:
        return {"model": self.model, "options": self.options, "depth": self.depth,
                "expand_from": self.expand_from, "next_level": self.next_level,
                "distinct": self.distinct, "generated": self.generated,
                "seconds": self.seconds, "cut": self.cut,
                "pending_sometimes": list(self.pending_sometimes)}


def _checksum(store_digest: str, meta: dict[str, Any]) -> str:
    fields = {k: v for k, v in meta.items() if k != "sha256"}
    text = json.dumps(fields, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(f"{store_digest}\n{text}".encode()).hexdigest()


class _HashingWriter:
    """A binary file that also hashes what is written to it."""

    def __init__(self, f: IO[bytes]) -> None:
        self.f = f
        self.sha = hashlib.sha256()

    def write(self, data: bytes | memoryview) -> int:
        self.sha.update(data)
        return self.f.write(data)


def prepare(directory: str | Path) -> None:
    """Make sure checkpoints can be written to ``directory`` (created if needed), before
    a search starts; a UsageError says why not."""
    d = Path(directory)
    try:
        d.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=d):
            pass
    except OSError as e:
        raise UsageError(f"cannot write checkpoints to {d}: {e.strerror or e}") from None


def save(directory: str | Path, cp: Checkpoint) -> None:
    """Write ``cp`` to ``directory`` (created if needed), replacing an older checkpoint;
    a UsageError says why it cannot be written."""
    try:
        _save(Path(directory), cp)
    except OSError as e:
        raise UsageError(f"cannot write a checkpoint to {directory}: "
                         f"{e.strerror or e}") from None


def _save(d: Path, cp: Checkpoint) -> None:
    d.mkdir(parents=True, exist_ok=True)
    generation, old_files = _previous(d)
    k = generation + 1
    store_file = f"store-{k}.npy"
    # Two columns of n rows: the fingerprints (sorted, not aligned with the rows'
    # states) and each state's parent and action packed into one int64.
    n = cp.distinct
    if len(cp.fingerprints) != n or len(cp.actions) != n:
        raise ValueError("a checkpoint needs one fingerprint, parent and action per state")
    table = np.empty((n, 2), dtype=np.int64)
    table[:, 0] = cp.fingerprints
    table[:, 1] = (cp.parents.astype(np.int64) << 32) | cp.actions.astype(np.int64)
    with open(d / store_file, "wb") as f:
        out = _HashingWriter(f)
        np.save(out, table, allow_pickle=False)
        f.flush()
        os.fsync(f.fileno())
    meta: dict[str, Any] = {"format": FORMAT, "generation": k, "store": store_file,
                            **cp._fields(), "fingerprints": ENCODING}
    meta["sha256"] = _checksum(out.sha.hexdigest(), meta)
    tmp = d / "meta.json.tmp"
    tmp.write_text(json.dumps(meta, indent=1, allow_nan=False), encoding="utf-8")
    os.replace(tmp, d / "meta.json")
    for name in old_files:
        if name != store_file:
            (d / name).unlink(missing_ok=True)


def _previous(d: Path) -> tuple[int, list[str]]:
    """The generation of the checkpoint in ``d`` (0 if none) and the files it names."""
    try:
        old = json.loads((d / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return 0, []
    if not isinstance(old, dict) or old.get("format") not in (FORMAT, _PICKLED_FORMAT):
        return 0, []
    generation = old.get("generation")
    names = [old.get(key) for key in ("store", "frontier")]
    return (generation if isinstance(generation, int) and generation >= 0 else 0,
            [n for n in names if isinstance(n, str) and _OLD_FILE.fullmatch(n)])


def _read_meta(d: Path) -> dict[str, Any]:
    try:
        meta = json.loads((d / "meta.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{d} holds no checkpoint (no meta.json); start one with "
                         "--checkpoint DIR") from None
    except (OSError, ValueError, RecursionError) as e:
        raise UsageError(f"checkpoint {d} is corrupt: meta.json is not readable JSON "
                         f"({e})") from None
    if isinstance(meta, dict) and meta.get("format") == _PICKLED_FORMAT:
        raise UsageError(
            f"checkpoint {d} was written by an earlier modelcheck, in a format that stored "
            "states as pickles; it is not read, since loading a pickle can run any code. "
            "Start the search again with --checkpoint DIR")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise UsageError(f"checkpoint {d} is not a {FORMAT} checkpoint")
    return meta


def _field(d: Path, meta: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = meta.get(key)
    # bool is an int in Python; a count that is a bool is as wrong as one that is text.
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise UsageError(f"checkpoint {d} is corrupt: meta.json's {key!r} is {value!r}")
    return value


def _count(d: Path, meta: dict[str, Any], key: str) -> int:
    value: int = _field(d, meta, key, int)
    if value < 0:
        raise UsageError(f"checkpoint {d} is corrupt: meta.json's {key!r} is {value}")
    return value


def load(directory: str | Path) -> Checkpoint:
    """Read and check the checkpoint in ``directory``; a missing, damaged or
    inconsistent one is a UsageError."""
    d = Path(directory)
    meta = _read_meta(d)
    if meta.get("fingerprints") != ENCODING:
        raise UsageError(
            f"checkpoint {d} holds fingerprints of another encoding "
            f"({meta.get('fingerprints')!r}, not {ENCODING!r}): it was written by another "
            "version of modelcheck; start the search again with --checkpoint DIR")
    name = _field(d, meta, "store", str)
    if not _STORE_FILE.fullmatch(name):
        raise UsageError(f"checkpoint {d} is corrupt: meta.json names store file {name!r}")
    model = _field(d, meta, "model", dict)
    for key in ("inits", "instances"):
        _count(d, model, key)
    options = _field(d, meta, "options", dict)
    depth, expand_from, next_level, distinct, generated = (
        _count(d, meta, key) for key in ("depth", "expand_from", "next_level", "distinct",
                                         "generated"))
    seconds = float(_field(d, meta, "seconds", (int, float)))
    if not (math.isfinite(seconds) and seconds >= 0):
        raise UsageError(f"checkpoint {d} is corrupt: meta.json's 'seconds' is {seconds}")
    cut = _field(d, meta, "cut", bool)
    pending = _field(d, meta, "pending_sometimes", list)
    if not all(isinstance(p, str) for p in pending):
        raise UsageError(f"checkpoint {d} is corrupt: meta.json's 'pending_sometimes' is "
                         f"{pending!r}")
    try:
        data = (d / name).read_bytes()
    except OSError as e:
        raise UsageError(f"checkpoint {d} is incomplete: cannot read {name} "
                         f"({e.strerror or e})") from None
    try:
        expected = _checksum(hashlib.sha256(data).hexdigest(), meta)
    except (ValueError, RecursionError):
        expected = None
    if _field(d, meta, "sha256", str) != expected:
        raise UsageError(
            f"checkpoint {d} is damaged: its checksum does not match its contents ({name} "
            "or meta.json was changed or cut short); start the search again")
    table = _store_table(data)
    if table is None:
        raise UsageError(f"checkpoint {d} is corrupt: {name} is not a store table (an .npy "
                         "array of two int64 columns)")
    links = table[:, 1]
    cp = Checkpoint(
        model, options, depth, expand_from, next_level, generated,
        seconds, cut, tuple(pending), np.ascontiguousarray(table[:, 0]),
        (links >> 32).astype(np.uint32), (links & 0xFFFFFFFF).astype(np.uint32))
    problem = _inconsistency(cp, distinct)
    if problem is not None:
        raise UsageError(f"checkpoint {d} is inconsistent: {problem}")
    return cp


def _store_table(data: bytes) -> npt.NDArray[np.int64] | None:
    """The ``(n, 2)`` int64 table in the ``.npy`` bytes ``data``, or None.

    The header is read and checked before any memory is set aside for the table, so a
    header that announces more rows than the file holds is refused, not allocated.
    """
    f = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(f)
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                       else np.lib.format.read_array_header_2_0)
        shape, fortran_order, dtype = read_header(f)
    except Exception:  # numpy's header parser raises many kinds of error on bad bytes
        return None
    body = len(data) - f.tell()
    if (dtype != np.dtype("<i8") or fortran_order is not False or len(shape) != 2
            or not all(type(x) is int for x in shape) or shape[1] != 2
            or body != shape[0] * 16):
        return None
    table: npt.NDArray[np.int64] = np.frombuffer(data, dtype="<i8", offset=f.tell())
    return table.reshape(shape)


def _inconsistency(cp: Checkpoint, distinct: int) -> str | None:
    """What is wrong with ``cp``'s counts and links, or None.

    A breadth-first search stores the initial states first, then each level in turn,
    each state's children in the order they were generated: so every parent is stored
    before its children, parents never decrease along the store, and level ``j + 1``
    is exactly the states whose parents are in level ``j``.
    """
    n = cp.distinct
    if n != distinct:
        return f"meta.json counts {distinct} states, the store holds {n}"
    fps, parents, actions = cp.fingerprints, cp.parents.astype(np.int64), cp.actions
    if n and not bool(np.all(fps[1:] > fps[:-1])):
        return "the stored fingerprints are not sorted and distinct"
    if not cp.expand_from <= cp.next_level <= n:
        return (f"the position in the level ({cp.expand_from}, next level from "
                f"{cp.next_level}) is outside the {n} stored states")
    if n == 0:
        return None if cp.depth == 0 else f"depth {cp.depth} without a state"
    inits = int(np.argmax(parents != NO_PARENT)) if bool(np.any(parents != NO_PARENT)) else n
    rest = parents[inits:]
    if inits == 0 or bool(np.any(rest == NO_PARENT)):
        return "the initial states are not stored first"
    if bool(np.any(rest >= np.arange(inits, n))):
        return "a state is stored before its parent"
    if bool(np.any(rest[1:] < rest[:-1])):
        return "the states are not stored in breadth-first order"
    # States found by expanding states from ``expand_from`` on are generated again on
    # resuming, and counted then (see below).
    again = int(np.count_nonzero(rest >= cp.expand_from))
    if cp.generated < n - again:
        return f"{cp.generated} states generated, fewer than the {n - again} stored"
    init_actions = actions[:inits].astype(np.int64)
    if bool(np.any(init_actions[1:] <= init_actions[:-1])):
        return "the initial states are not stored in the order of the inits"
    for kind, used in (("inits", init_actions), ("instances", actions[inits:])):
        bound = cp.model[kind]
        if len(used) and int(np.max(used)) >= bound:
            return f"an action index is beyond the model's {bound} {kind}"
    bounds = [0, inits]
    while bounds[-1] < n:
        # The level after the last one found starts at the first state whose parent is
        # in that level (or later): parents do not decrease, and precede their children.
        bounds.append(inits + int(np.searchsorted(rest, bounds[-1], side="left")))
        if bounds[-1] <= bounds[-2]:
            return "the levels of the search do not follow from the parent links"
    levels = len(bounds) - 1
    d = cp.depth
    expected = d if cp.next_level == n else d + 1
    if not 1 <= d <= levels or levels != expected or bounds[d] != cp.next_level:
        return (f"meta.json puts the search at depth {d} with the next level from state "
                f"{cp.next_level}, but the store holds {levels} levels starting at "
                f"{bounds[:-1][:8]}{'…' if levels > 8 else ''}")
    if not bounds[d - 1] <= cp.expand_from:
        return (f"the next state to expand, {cp.expand_from}, is not in level {d} "
                f"(states {bounds[d - 1]} to {bounds[d] - 1})")
    # States of the next level may have been found by expanding states from
    # ``expand_from`` on: a search stopped by its state limit within a chunk saves that
    # chunk to be expanded again (what it already stored is met again as seen). Expanding
    # a state twice loses nothing; the other way round, a position past a state whose
    # successors were never stored, is what resuming checks (see modelcheck.explore.bfs).
    return None
