"""Finding specs: catalogue names, Python files and ``module:attribute`` references.

The catalogue is every module of every package registered under the entry-point group
``modelcheck.catalogues`` (modelcheck's own is ``modelcheck_specs``, built from
``specs/``); each module that defines a :class:`~modelcheck.Spec` contributes it under the
spec's name (modules whose names start with ``_`` are helpers, not searched). The engine
never imports a spec by name: it only follows the registry.

Looking one name up (:func:`find`, and :func:`load` of a catalogue name) imports only the
module named after the spec when there is one (``two-phase-commit`` in
``two_phase_commit``) and it defines that spec, so checking one spec does not import the
others (nor z3, which one of them needs); only when that module does not hold the spec
are the package's other modules searched. Packages are asked in the order :func:`entries`
takes them, so both give the same spec for a name (a package that defines one name in two
modules should not: the look-up takes the one in the module named after it).
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

__all__ = ["GROUP", "entries", "find", "load"]

GROUP = "modelcheck.catalogues"
_FALLBACK = "modelcheck_specs"


def _catalogue_packages() -> list[str]:
    names = [ep.value for ep in importlib.metadata.entry_points(group=GROUP)]
    return names or [_FALLBACK]


def _package(package_name: str) -> ModuleType:
    try:
        return importlib.import_module(package_name)
    except ImportError as e:
        raise UsageError(f"catalogue package {package_name!r} cannot be imported: {e}") from e


def _module_names(package: ModuleType) -> list[str]:
    """The package's spec modules, in the order their specs are taken (helpers left out)."""
    return [info.name for info in pkgutil.iter_modules(package.__path__)
            if not info.name.startswith("_")]


def entries() -> dict[str, Spec]:
    """Every catalogue spec by name, sorted by name."""
    found: dict[str, Spec] = {}
    for package_name in _catalogue_packages():
        package = _package(package_name)
        for module_name in _module_names(package):
            module = importlib.import_module(f"{package_name}.{module_name}")
            for spec in _specs_in(module):
                found.setdefault(spec.name, spec)
    return dict(sorted(found.items()))


def find(name: str) -> Spec | None:
    """The catalogue spec called ``name``, or None; imports no more modules than it must.

    Each package is asked in turn: first its module named after the spec (``-`` read as
    ``_``), then, if that one does not define the spec, every other module. Only modules of
    the catalogue packages are imported, whatever ``name`` is: a name read from a file is
    never a module to import.
    """
    conventional = name.replace("-", "_")
    for package_name in _catalogue_packages():
        package = _package(package_name)
        names = _module_names(package)
        if conventional in names:
            module = importlib.import_module(f"{package_name}.{conventional}")
            for spec in _specs_in(module):
                if spec.name == name:
                    return spec
        for module_name in names:
            if module_name == conventional:
                continue
            module = importlib.import_module(f"{package_name}.{module_name}")
            for spec in _specs_in(module):
                if spec.name == name:
                    return spec
    return None


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
    spec = find(ref)
    if spec is not None:
        return spec
    catalogue = entries()
    raise UsageError(
        f"unknown spec {ref!r}; give a catalogue name ({', '.join(catalogue)}), a path to a "
        ".py file, or module:attribute")


def _load_file(path: Path) -> ModuleType:
    if not path.is_file():
        raise UsageError(f"spec file {str(path)!r} does not exist")
    try:
        source = path.read_bytes()
    except OSError as e:
        raise UsageError(f"cannot read spec file {str(path)!r}: {e.strerror or e}") from e
    # A name that is the same in every process (Dask workers load the spec under it), and
    # that changes with the file's text: a process that loads a file again after it was
    # edited (a notebook, a test session, an explorer left running) checks the edited
    # model, not the one it loaded first.
    digest = hashlib.sha256(str(path.resolve()).encode("utf-8", "surrogatepass") + b"\0"
                            + source).hexdigest()
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
