"""The cause of a test stopped at its time limit: the op the engine was in, and a reproducer."""

from __future__ import annotations

from typing import Any

from properties.core.engine_under_test import EngineUnderTest
from properties.core.reproducers import one_op
from properties.core.watchdog import Hung, where_it_hung
from properties.diagnosis.causes import Cause
from reference.ops import REGISTRY


def hang_cause(engine: EngineUnderTest, excinfo: Any) -> Cause:
    """The engine did not return: a crash of the op it was in (its forward, or its backward
    closure), with the operand values it was called on; else of the engine as a whole."""
    seconds = excinfo.value.seconds if isinstance(excinfo.value, Hung) else 0.0
    spot = where_it_hung(excinfo.tb, engine)
    if spot is None or spot.op is None:
        where = f" in {spot.function}" if spot is not None else ""
        return Cause(op=None, kind="traversal" if spot is not None and spot.phase == "backward" else "crash",
                     severity="crash", summary=f"the engine did not return within {seconds:g} s{where}",
                     reproducer=f"{engine.import_line}\n\n# the engine hung{where}: see the test's report for the input")
    spec = REGISTRY[spot.op]
    operands = spot.operands[:spec.arity] or (0.5,) * spec.arity
    names = [f"x{k}" for k in range(len(operands))]
    param = "" if not spec.has_param else repr(spec.default_param if spec.default_param is not None else spec.edge_params[0])
    call = spec.render(names, param, engine.templates.get(spot.op))
    r = one_op(engine, operands, call)
    if spot.phase == "forward":
        r.body.pop()  # the hang is in forward: backward is never reached
    r.body[-1] += f"  # does not return ({spot.phase}, {spot.function})"
    what = f"{spot.op}({', '.join(repr(v) for v in operands)})"
    return Cause(op=spot.op, kind="crash", severity="crash", operands=operands,
                 summary=f"{spot.op}, crash: {what} did not return within {seconds:g} s in {spot.phase} ({spot.function})",
                 reproducer=r.text(), check="forward" if spot.phase == "forward" else "gradient")
