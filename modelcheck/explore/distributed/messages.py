"""What the partitions send each other and the client, besides the spec.

A batch of successors for another partition is one ``bytes`` value: fingerprints (int64),
parent indices (uint32), action indices (uint32), then the states as :func:`pack` encodes
them. What a partition found travels as a :data:`Finding`. A stored state's link packs the
parent's partition above the action index (:func:`action_bits`), which both the partitions
and the client read.
"""

from __future__ import annotations

import pickle
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from modelcheck.model import Model
from modelcheck.state import Record

__all__ = ["Finding", "action_bits", "pack", "unpack"]


def pack(states: list[Any]) -> bytes:
    """Encode a batch of states for another worker; :func:`unpack` decodes it.

    Records of one type, the usual case, go by column: each field's distinct values once,
    and per state one small index per field. Neighbouring states share most field values
    (a successor changes one or two fields), so this is several times smaller and faster
    than pickling every state, and the receiver's states share their field values.
    Values are told apart by type as well (``1`` is not ``True``). Anything else is
    pickled as it is.
    """
    cls = type(states[0])
    if not (issubclass(cls, Record) and set(map(type, states)) == {cls}):
        return pickle.dumps((None, states), protocol=pickle.HIGHEST_PROTOCOL)
    tables: list[list[Any]] = []
    columns: list[npt.NDArray[Any]] = []
    for column in list(zip(*states))[1:]:  # item 0 is the record's type tag
        # A field of one type (the usual case) is keyed by value; mixed types by both.
        mixed = len(set(map(type, column))) > 1
        keys = list(zip(map(type, column), column)) if mixed else column
        seen: dict[Any, int] = {}
        index = [seen.setdefault(k, len(seen)) for k in keys]
        tables.append([v for _, v in seen] if mixed else list(seen))
        dtype = np.uint8 if len(seen) <= 1 << 8 else (
            np.uint16 if len(seen) <= 1 << 16 else np.uint32)
        columns.append(np.array(index, dtype=dtype))
    return pickle.dumps((cls, len(states), tables, columns), protocol=pickle.HIGHEST_PROTOCOL)


def unpack(payload: bytes) -> list[Any]:
    """The states :func:`pack` encoded, in order."""
    head, *rest = pickle.loads(payload)
    if head is None:
        return cast(list[Any], rest[0])
    n, tables, columns = rest
    if not tables:  # a record without fields
        return [head() for _ in range(n)]
    fields = [list(map(table.__getitem__, column.tolist()))
              for table, column in zip(tables, columns)]
    return list(map(head, *fields))


Finding = dict[str, Any]
"""Where a partition found something: ``kind``, ``index`` (local), and as the kind needs
``action``, ``state``, ``after`` and ``error``; the client adds ``partition``."""


def action_bits(model: Model) -> int:
    """Bits of a link that hold an action (or init) index; the parent's partition is above."""
    return max(1, (max(len(model.instances), len(model.inits)) - 1).bit_length())
