"""Finding specs: catalogue names, Python files and ``module:attribute`` references.

The catalogue is every module of every package registered under the entry-point group
``modelcheck.catalogues`` (modelcheck's own is ``modelcheck_specs``, built from
``specs/``); each module that defines a :class:`~modelcheck.Spec` contributes it under the
spec's name. The engine never imports a spec by name: it only follows the registry.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import pkgutil
import sys
from pathlib import Path
from types import ModuleType

from modelcheck.errors import SpecDefinitionError, UsageError
from modelcheck.spec import Spec

__all__ = ["GROUP", "entries", "load"]

GROUP = "modelcheck.catalogues"
_FALLBACK = "modelcheck_specs"


def _catalogue_packages() -> list[str]:
    names = [ep.value for ep in importlib.metadata.entry_points(group=GROUP)]
    return names or [_FALLBACK]


def entries() -> dict[str, Spec]:
    """Every catalogue spec by name, sorted by name."""
    found: dict[str, Spec] = {}
    for package_name in _catalogue_packages():
        try:
            package = importlib.import_module(package_name)
        except ImportError as e:
            raise UsageError(f"catalogue package {package_name!r} cannot be imported: {e}") from e
        for info in pkgutil.iter_modules(package.__path__):
            if info.name.startswith("_"):
                continue
            module = importlib.import_module(f"{package_name}.{info.name}")
            for spec in _specs_in(module):
                found.setdefault(spec.name, spec)
    return dict(sorted(found.items()))


def _specs_in(module: ModuleType) -> list[Spec]:
    return [v for v in vars(module).values() if isinstance(v, Spec)]


def load(ref: str) -> Spec:
    """The spec named by ``ref``: a catalogue name, ``file.py[:attr]`` or ``module:attr``."""
    path_part, _, attr = ref.partition(":")
    if path_part.endswith(".py"):
        return _from_module(_load_file(Path(path_part)), attr or None, ref)
    if attr:
        try:
            module = importlib.import_module(path_part)
        except ImportError as e:
            raise UsageError(f"cannot import module {path_part!r} for spec {ref!r}: {e}") from e
        except (Exception, SystemExit) as e:  # a module is code: it may raise or exit
            raise SpecDefinitionError(
                f"importing module {path_part!r} for spec {ref!r} raised "
                f"{type(e).__name__}: {e}") from e
        return _from_module(module, attr, ref)
    catalogue = entries()
    if ref in catalogue:
        return catalogue[ref]
    raise UsageError(
        f"unknown spec {ref!r}; give a catalogue name ({', '.join(catalogue)}), a path to a "
        ".py file, or module:attribute")


def _load_file(path: Path) -> ModuleType:
    if not path.is_file():
        raise UsageError(f"spec file {str(path)!r} does not exist")
    # A name that is the same in every process (Dask workers load the spec under it).
    digest = hashlib.sha256(str(path.resolve()).encode("utf-8", "surrogatepass")).hexdigest()
    name = f"modelcheck_user_{digest[:16]}"
    if name in sys.modules:
        return sys.modules[name]
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise UsageError(f"cannot load {str(path)!r} as a Python module")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module  # dataclasses and pickling look the module up by name
    try:
        module_spec.loader.exec_module(module)
    except SpecDefinitionError:
        del sys.modules[name]
        raise
    except (Exception, SystemExit) as e:  # a spec file is code: it may raise or exit
        del sys.modules[name]
        raise SpecDefinitionError(
            f"loading spec file {str(path)!r} raised {type(e).__name__}: {e}") from e
    return module


def _from_module(module: ModuleType, attr: str | None, ref: str) -> Spec:
    if attr:
        value = getattr(module, attr, None)
        if not isinstance(value, Spec):
            raise UsageError(f"{ref!r}: {attr!r} is not a modelcheck Spec in {module.__name__}")
        return value
    specs = _specs_in(module)
    if len(specs) == 1:
        return specs[0]
    if not specs:
        raise UsageError(f"{ref!r} defines no modelcheck Spec")
    names = [k for k, v in vars(module).items() if isinstance(v, Spec)]
    raise UsageError(f"{ref!r} defines several specs; choose one with {ref}:NAME, NAME in {names}")
