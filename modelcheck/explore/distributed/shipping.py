"""What the client ships to the workers so that each binds the same model, and the probe
that tells whether they fingerprint alike (see :mod:`modelcheck.explore.distributed`).

The spec travels as a :class:`SpecRef` (:func:`spec_ref`, in the client): the module that
defines it, the attribute holding it and the module's source; :func:`load_model` binds it
in a worker. When the client connects, every worker answers :func:`probe` and the client
compares the answers (:func:`check_probes`): fingerprints depend on nothing but the state,
so the probe only catches a worker that runs another modelcheck, or a build of it that
fingerprints differently, before its states are mixed with the others'.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelcheck.errors import UsageError
from modelcheck.fingerprint import fingerprint
from modelcheck.model import Model, bind

__all__ = ["WORKER_HELP", "SpecRef", "check_probes", "load_model", "probe", "spec_ref"]

_PROBE = ("modelcheck-probe", None, -1, -2, 2**61 - 1, True, 1.0, frozenset({"a", b"a"}))
"""A value whose fingerprint every worker must agree on."""
WORKER_HELP = "install the same modelcheck and Python on every machine"


# -- the spec, as the workers see it ------------------------------------------------------


@dataclass(frozen=True)
class SpecRef:
    """What a worker needs to bind the same model as the client."""

    module: str
    attr: str
    source: str | None
    digest: str | None
    filename: str | None
    variant: str | None
    params: dict[str, Any]
    symmetry: bool
    labels: str
    """Digest of every init and action instance label, in order: indices must agree."""
    skip: tuple[str, ...] = ()
    """The properties the run leaves out (``--property``, ``--skip``)."""
    view: bool = True
    """Whether the model identifies states by the spec's view."""


def _labels_digest(model: Model) -> str:
    text = "\n".join([i.label() for i in model.inits] + ["--"]
                     + [i.label() for i in model.instances])
    return hashlib.sha256(text.encode()).hexdigest()


def _source_of(module: types.ModuleType) -> str | None:
    path = getattr(module, "__file__", None)
    if not path or not str(path).endswith(".py"):
        return None
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _digest(source: str | None) -> str | None:
    return hashlib.sha256(source.encode()).hexdigest() if source is not None else None


def spec_ref(model: Model) -> SpecRef:
    """Name the spec's module and attribute, and carry the module's source."""
    spec = model.spec
    # The module that holds the Spec object: where its functions or its config live.
    names = [a.fn.__module__ for a in spec.inits] + [spec.config.__module__]
    if "__main__" in names:
        raise UsageError(
            f"spec {spec.name!r} is defined in the __main__ module (a script run directly, "
            "or an interactive session), which Dask workers cannot load; move it to a "
            "module file and pass its path (modelcheck verify spec.py --scheduler ...) or "
            "import it from there")
    found = [(name, k) for name in dict.fromkeys(names) if name in sys.modules
             for k, v in vars(sys.modules[name]).items() if v is spec]
    if not found:
        raise UsageError(
            f"spec {spec.name!r} is not a module-level name of {names[0]}, so Dask workers "
            "cannot find it; assign it to a global (spec = Spec(...))")
    module_name, attr = found[0]
    module = sys.modules[module_name]
    source = _source_of(module)
    cfg = model.config
    params = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg)}
    return SpecRef(module_name, attr, source, _digest(source),
                    getattr(module, "__file__", None), model.variant, params,
                    model.canonical is not None, _labels_digest(model), tuple(model.skipped),
                    model.view is not None)


_LOADED: dict[str, tuple[str | None, types.ModuleType]] = {}
"""Spec modules this worker process loaded, with the digest of their source."""


def _load_module(ref: SpecRef) -> types.ModuleType:
    known = _LOADED.get(ref.module)
    if known is not None and known[0] == ref.digest:
        return known[1]
    module: types.ModuleType | None = None
    with contextlib.suppress(ImportError):
        module = importlib.import_module(ref.module)
    if module is not None and (ref.digest is None or _digest(_source_of(module)) == ref.digest):
        _LOADED[ref.module] = (ref.digest, module)
        return module
    if ref.source is None:
        raise UsageError(
            f"module {ref.module!r} (spec {ref.attr}) cannot be imported on a Dask worker, "
            "and its source is not available to send; install it on every worker")
    # The module is absent here, or its source differs from the client's: run the
    # client's source under the same name, so that classes pickle by reference alike.
    module = types.ModuleType(ref.module)
    module.__file__ = ref.filename
    module.__package__ = ref.module.rpartition(".")[0]
    sys.modules[ref.module] = module  # dataclasses and pickle look the module up by name
    try:
        exec(compile(ref.source, ref.filename or ref.module, "exec"), module.__dict__)
    except Exception as e:
        del sys.modules[ref.module]
        raise UsageError(f"loading spec module {ref.module!r} on a Dask worker raised "
                         f"{type(e).__name__}: {e}") from None
    _LOADED[ref.module] = (ref.digest, module)
    return module


def load_model(ref: SpecRef) -> Model:
    """Bind, in a worker, the model the client described."""
    spec = getattr(_load_module(ref), ref.attr)
    model = bind(spec, ref.variant, ref.params, symmetry=ref.symmetry, skip=ref.skip,
                 view=ref.view)
    if _labels_digest(model) != ref.labels:
        raise UsageError(
            f"spec {spec.name!r} enumerates different actions on a Dask worker than in the "
            "client; install the same versions of the spec and of modelcheck everywhere")
    return model


# -- the fingerprint probe ----------------------------------------------------------------


def probe() -> dict[str, Any]:
    """What decides whether this worker fingerprints like the others."""
    import modelcheck
    from modelcheck.fingerprint import fingerprint as worker_fingerprint

    return {"python": sys.version, "modelcheck": modelcheck.__version__,
            "fingerprint": worker_fingerprint(_PROBE)}


def check_probes(probes: dict[str, dict[str, Any]]) -> None:
    """Every worker must run this modelcheck and fingerprint alike; say how to fix it."""
    import modelcheck

    versions = {p["modelcheck"] for p in probes.values()}
    if versions != {modelcheck.__version__}:
        raise UsageError(
            f"the Dask workers run modelcheck {', '.join(sorted(versions))} and this process "
            f"{modelcheck.__version__}; install the same version everywhere")
    if {p.get("fingerprint") for p in probes.values()} != {fingerprint(_PROBE)}:
        rows = "; ".join(f"{addr}: {p.get('fingerprint')} (Python {p['python'].split()[0]})"
                         for addr, p in sorted(probes.items()))
        raise UsageError(
            f"the Dask workers fingerprint a probe value differently from this process "
            f"({fingerprint(_PROBE)}): {rows}; {WORKER_HELP}")
