"""The cause of a test stopped at its time limit: the op the engine was in, and a reproducer;
and the hang that waits on a shared node: a backward whose time doubles with each ``y = y + y``.
"""

from __future__ import annotations

import time
from typing import Any

from properties.core.engine_under_test import EngineUnderTest
from properties.core.reproducers import Reproducer, one_op
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
        if spot is not None and spot.phase == "backward":
            exponential = exponential_backward(engine)
            if exponential is not None:
                return exponential
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


SHALLOW, DEEP = 8, 16  # levels of y = y + y: 2**8 and 2**16 paths from the root to x
EXPONENTIAL = 30.0  # a backward that walks every path takes 2**8 = 256 times longer at DEEP
SLOW = 0.02  # seconds at DEEP below which no backward is called slow (a linear one takes microseconds)


def _doubling_seconds(engine: EngineUnderTest, levels: int) -> float:
    """The fastest of three backward calls on x; y = x; y = y + y, ``levels`` times."""
    best = float("inf")
    for _ in range(3):
        x = engine.leaf(0.5)
        y = x
        for _ in range(levels):
            y = engine.apply("add", y, y)
        started = time.perf_counter()
        engine.backward(y)
        best = min(best, time.perf_counter() - started)
    return best


def exponential_backward(engine: EngineUnderTest) -> Cause | None:
    """The cause when backward visits a shared node once per path to it, not once: on ``y = y + y``
    repeated, each level doubles the paths, so 8 more levels take some 256 times longer (a linear
    backward takes microseconds either way).  None where it does not, or without ``+``."""
    if not engine.supports(REGISTRY["add"]):
        return None
    try:
        shallow, deep = _doubling_seconds(engine, SHALLOW), _doubling_seconds(engine, DEEP)
    except Exception:  # noqa: BLE001  (an engine that raises here fails elsewhere, with its own finding)
        return None
    if deep < SLOW or deep < EXPONENTIAL * max(shallow, 1e-6):
        return None
    per_level = (deep / max(shallow, 1e-6)) ** (1 / (DEEP - SHALLOW))
    a = engine.adapter
    reproducer = Reproducer(engine).line(
        "import time", "", "for levels in (8, 12, 16, 20):", f"    x = {a.leaf_source('0.5')}", "    y = x",
        "    for _ in range(levels):", f"        y = {engine.source_of('add', 'y', 'y')}",
        "    started = time.perf_counter()", f"    {a.backward_source('y')}",
        "    print(levels, 'levels:', time.perf_counter() - started, 's')  # a linear backward: microseconds").text()
    return Cause(op=None, kind="traversal", severity="crash", reproducer=reproducer,
                 summary=(f"backward visits a shared node once per path to it: on y = y + y repeated, "
                          f"{SHALLOW} levels take {shallow * 1e3:.2g} ms, {DEEP} levels {deep * 1e3:.3g} ms "
                          f"({per_level:.2g}x per level): a graph that reuses its nodes (any network) never "
                          "finishes backward (a visited check that comes after the recursion into the node)"))
