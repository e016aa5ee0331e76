"""The primitives an op is built from: where a failing op may fail only through one of them.

Engines commonly build an op from others (``a - b`` from ``-b`` and ``+``, ``a / b`` from
``b ** -1`` and ``*``: the registry's ``built_from``).  :func:`primitive_steps` gives the probes of
those primitives at the values the op would give them; :func:`calls_primitive` watches whether the
engine's op really calls one (a spy on the primitive's method, in every class of the engine that
defines it), so that a primitive is blamed only for the ops that use it.
"""

from __future__ import annotations

import math

from properties.core.engine_under_test import EngineUnderTest
from properties.diagnosis.probes import Probe
from reference.ops import REGISTRY


def primitive_steps(probe: Probe) -> list[Probe]:
    """Probes of the primitives ``probe``'s op is commonly built from, at the values it would use."""
    built_from = probe.spec.built_from
    if built_from is None:
        return []
    operands = list(probe.operands) * (2 if probe.same else 1)
    if probe.constant is not None:
        operands.append(probe.constant)
    try:
        steps = built_from(*operands, *([] if probe.param is None else [probe.param]))
    except (ArithmeticError, ValueError):
        return []
    out = []
    for op, values, extra in steps:
        spec = REGISTRY.get(op)
        if spec is None or any(not isinstance(v, float) or not math.isfinite(v) for v in values):
            continue
        kw = {}
        if spec.has_param:
            kw["param"] = extra
        elif extra is not None:
            kw["constant"] = extra
        param = kw.get("param")
        second = values[1] if len(values) > 1 else kw.get("constant")
        if not spec.operand_domains(param)[0].contains(values[0]) or (
                spec.arity == 2 and second is not None and not spec.second_domain(values[0], param).contains(second)):
            continue  # the primitive would be outside its domain there (exp(2x) beyond 709): no probe
        out.append(Probe(op, tuple(values), **kw, upstream=probe.upstream))
    return out


def calls_primitive(engine: EngineUnderTest, probe: Probe, primitive: str) -> bool:
    """Run the probe's op on the engine with the primitive's method watched, in every class of the
    engine's hierarchy that defines it."""
    name = engine.method(REGISTRY[primitive])
    originals = {c: vars(c)[name] for c in engine.value_type.__mro__ if c is not object and name in vars(c)}
    if not originals:
        return True
    called = []

    def watched(original):
        def spy(*args, **kwargs):
            called.append(True)
            return original(*args, **kwargs)
        return spy

    try:
        for owner, original in originals.items():
            setattr(owner, name, watched(original))
    except (TypeError, AttributeError):  # a class that cannot be patched (an extension type)
        _restore(originals, name)
        return True
    try:
        leaves = [engine.leaf(float(x)) for x in probe.operands]
        out = engine.run(probe.case().expression, leaves + ([] if probe.upstream is None else [engine.leaf(probe.upstream)]))
        engine.backward(out)
    except Exception:
        pass
    finally:
        _restore(originals, name)
    return bool(called)


def _restore(originals: dict, name: str) -> None:
    for owner, original in originals.items():
        try:
            setattr(owner, name, original)
        except (TypeError, AttributeError):
            pass
