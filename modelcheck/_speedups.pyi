"""Types of the compiled helpers in ``_speedups.c``."""

from typing import Any, TypeVar

_T = TypeVar("_T")

class RecordBase(tuple[Any, ...]):
    def replace(self, **changes: Any) -> Any: ...

def make(cls: type[_T], *items: Any) -> _T: ...
def set_at(t: tuple[_T, ...], index: int, value: _T) -> tuple[_T, ...]: ...
