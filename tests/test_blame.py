"""Blame (properties/blame.py) names the op at fault, and nothing else.

Every mutant engine declares what blame must find (``BLAME``: the op, or None for a graph
bug, and the kind).  For each mutant, the first of a fixed list of small expressions around
its op that the checks reject is blamed, and the blame must be the declared one; the
correct engine must never be blamed for anything.
"""

from __future__ import annotations

import math

import pytest

from mutant_engines import load, names
from properties.diagnosis.blame import blame
from properties.diagnosis.causes import Symptom
from properties.diagnosis.hangs import exponential_backward
from properties.core.watchdog import Hung, time_limit
from properties.diagnosis.wiring import above_a_product, cut_below
from properties.diagnosis.probes import Probe, run_probe
from properties.core.checks import CheckFailure, Skip, check_forward, check_gradient, check_torch, judge
from properties.core.engine_under_test import load_engine
from properties.strategies import Case
from reference.expression import Expression, Node
from reference.ops import REGISTRY

POINTS = (0.7, -1.3, 0.0, 1e-10, -1e-10, 5e-7, -5e-7, 2e-4, 2.5, -2.5, 1e-30, 12.0, -60.0, 400.0, -400.0, 709.0, -720.0,
          1e-200, 5e-324)
PARAMS = {"pow": (1.0, 3.0, 2.0, 0.5, -1.0), "radd": (3.0,), "rsub": (3.0,), "rmul": (1.5,), "rtruediv": (2.0, 0.0),
          "leaky_relu": (0.01,), "rpow": (2.0,)}


def _around(op: str) -> list[Case]:
    """``op`` at many points, as the root, below an upstream factor, one operand twice, above a product."""
    spec = REGISTRY[op]
    out = []
    for param in PARAMS.get(op, (None,)):
        domains = spec.operand_domains(param)
        for i, x in enumerate(POINTS):
            operands = [x] if spec.arity == 1 else [x, POINTS[(i + 3) % len(POINTS)]]
            if all(d.contains(v) for d, v in zip(domains, operands)):
                out.append(Probe(op, tuple(operands), param).case())
                out.append(Probe(op, tuple(operands), param, upstream=-0.75).case())
            if spec.arity == 2 and domains[0].contains(x) and domains[1].contains(x):
                out.append(Probe(op, (x,), param, same=True).case())
    if op != "mul":
        out.append(above_a_product(op))  # on an intermediate: an op that cuts the graph below it
    return out


def _graphs() -> list[Case]:
    """Shared nodes: b = x + x; c = b * b; a diamond with paths of different lengths; two distinct
    nodes of equal value; a chain 1200 ops deep."""
    doubling = Expression(1, (Node(input=0), Node(op="add", args=(0, 0)), Node(op="mul", args=(1, 1))))
    diamond = Expression(2, (Node(input=0), Node(input=1), Node(op="mul", args=(0, 1)), Node(op="sin", args=(2,)),
                             Node(op="mul", args=(3, 1)), Node(op="add", args=(4, 2))))
    ladder = [Node(input=0), Node(input=1)]  # v(k+1) = sin(v(k)) * v(k-1) + v(k): every node used three times
    for k in range(40):
        a, b = len(ladder) - 2, len(ladder) - 1
        ladder += [Node(op="sin", args=(b,)), Node(op="mul", args=(len(ladder), a))]
        ladder.append(Node(op="add", args=(len(ladder) - 1, b)))
    twins = Expression(4, (Node(input=0), Node(input=1), Node(input=2), Node(input=3), Node(op="mul", args=(0, 1)),
                           Node(op="mul", args=(2, 3)), Node(op="add", args=(4, 5))))  # x0 * x1 + x2 * x3, equal terms
    deep = [Node(input=0), Node(const=1.0)]  # x * 1.0 * 1.0 ...: deeper than Python's recursion limit
    deep += [Node(op="mul", args=(0 if k == 0 else k + 1, 1)) for k in range(1200)]
    return [Case(doubling, (1.5,)), Case(diamond, (0.7, -1.3)), Case(Expression(2, tuple(ladder)), (0.3, -0.2)),
            Case(twins, (0.5, 3.0, 6.0, 0.25)), Case(Expression(1, tuple(deep)), (0.5,))]


HANG_SECONDS = 3.0  # a case that takes longer hangs (a backward exponential in the graph's depth)


def _failures(engine, cases: list[Case]):
    """(case, symptom) for each case the checks reject; (case, None) for one the engine hangs on."""
    for case in cases:
        try:
            with time_limit(HANG_SECONDS):
                judge(case, engine, check_forward, check_gradient, check_torch)
        except Skip:
            continue
        except CheckFailure as failure:
            yield case, Symptom.of(failure)
        except Hung:
            yield case, None


@pytest.mark.parametrize("name", names())
def test_blame_names_the_mutated_op(name):
    """The expressions around each op a mutant declares that fail are blamed on declared causes, the
    first on that op's; with several bugs at once, each declared cause is found around its op (a
    ``c / x`` failing through a broken ``a / b`` is blamed on ``/`` until ``c / x`` fails where
    ``a / b`` has no valid input)."""
    module = load(name)
    declared = module.BLAME if isinstance(module.BLAME, list) else [module.BLAME]
    allowed = {(op, k) for op, kinds in declared for k in ((kinds,) if isinstance(kinds, str) else kinds)}
    engine = load_engine(f"mutant_engines.{name}:Value")
    for op, kinds in declared:
        blamed = []
        for case, symptom in _failures(engine, _graphs() if op is None else _around(op)):
            # a hang is diagnosed as the plugin does: timed, on graphs that double (not blamed by running it again)
            cause = blame(case, engine, symptom) if symptom is not None else exponential_backward(engine)
            assert cause is not None, f"blame found nothing for {name} on {case}"
            assert (cause.op, cause.kind) in allowed, (name, cause.summary)
            assert cause.reproducer.startswith(f"from mutant_engines.{name} import Value")
            blamed.append(cause.op)
            if cause.op == op or len(declared) == 1:
                break
        assert blamed, f"none of the cases around {op} shows {name}'s bug"
        assert blamed[-1] == op, (name, op, blamed)


@pytest.mark.parametrize("op", ["mul", "sin", "truediv", "pow", "relu", "tanh"])
def test_the_correct_engine_passes_every_probe(op):
    engine = load_engine("engine:Value")
    for case in _around(op):
        try:
            judge(case, engine, check_forward, check_gradient, check_torch)
        except Skip:
            pass
    for x in POINTS:
        probe = Probe(op, (x,) if REGISTRY[op].arity == 1 else (x, 1.5), PARAMS.get(op, (None,))[0])
        if all(d.contains(v) for d, v in zip(REGISTRY[op].operand_domains(probe.param), probe.operands)):
            assert not run_probe(engine, probe).failed, probe


@pytest.mark.parametrize("mutant, probe", [
    ("sin_deriv_neg_cos", Probe("sin", (0.5,))),
    ("relu_grad_one_at_zero", Probe("relu", (0.0,))),  # at a kink: held to torch's convention, relu'(0) = 0
])
def test_a_one_op_reproducer_runs_and_fails_on_its_engine(mutant, probe):
    """The reproducer of a cause is a script: on the mutant it fails its assertion, on the correct
    engine (the same script with the import changed) it passes."""
    engine = load_engine(f"mutant_engines.{mutant}:Value")
    cause = blame(probe.case(), engine)
    assert cause is not None and cause.op == probe.op
    with pytest.raises(AssertionError):
        exec(compile(cause.reproducer, "repro.py", "exec"), {})
    exec(compile(cause.reproducer.replace(f"from mutant_engines.{mutant} import Value",
                                          "from engine import Value"), "repro.py", "exec"), {})


def test_a_derived_op_is_blamed_on_the_primitive_it_is_built_from():
    """An engine whose a - b is a + (-b) and whose negation is wrong: the sub that fails is a
    consequence, neg is the cause."""
    import engine.value

    class Value(engine.value.Value):
        def __neg__(self):
            return type(self)(-self.data * (1 + 1e-9), (self,), (-1.0,), "neg")

        def __sub__(self, other):
            return self + (-other if isinstance(other, engine.value.Value) else -other)

    import sys
    import types

    module = types.ModuleType("derived_engine_for_blame")
    module.Value = Value
    sys.modules[module.__name__] = module
    try:
        mutant = load_engine("derived_engine_for_blame:Value")
        case = Probe("sub", (2.5, 0.7)).case()
        cause = blame(case, mutant)
        assert (cause.op, cause.kind) == ("neg", "forward"), cause.summary
        assert "sub" in cause.consequences
    finally:
        del sys.modules[module.__name__]


def test_softsign_built_from_abs_is_blamed_on_abs():
    """x / (1 + abs(x)) with abs cut off from the graph: softsign's slope is wrong because abs's is."""
    import sys
    import types

    import mutant_engines.abs_cut_off

    class Value(mutant_engines.abs_cut_off.Value):
        def softsign(self):
            return self / (1.0 + abs(self))

    module = types.ModuleType("composite_softsign_engine_for_blame")
    module.Value = Value
    sys.modules[module.__name__] = module
    try:
        cause = blame(Probe("softsign", (-2.5,)).case(), load_engine(f"{module.__name__}:Value"))
        assert (cause.op, cause.kind, cause.consequences) == ("abs", "derivative", ("softsign",)), cause.summary
    finally:
        del sys.modules[module.__name__]


def test_a_derived_op_with_a_backward_of_its_own_is_blamed_itself():
    """gradflow-kit 0.1.3: its negation has no backward (gradient 0) and its a - b has a backward
    of its own with both signs swapped.  Both fail, but a - b is not a + (-b) there: fixing the
    negation would not fix it, so sub is blamed itself, not listed as neg's consequence."""
    import sys
    import types

    import engine.value

    class Value(engine.value.Value):
        def __neg__(self):
            return type(self)(-self.data)  # cut off from the graph

        def __sub__(self, other):
            other = other if isinstance(other, engine.value.Value) else type(self)(other)
            return type(self)(self.data - other.data, (self, other), (-1.0, 1.0), "-")  # signs swapped

    module = types.ModuleType("own_sub_engine_for_blame")
    module.Value = Value
    sys.modules[module.__name__] = module
    try:
        mutant = load_engine("own_sub_engine_for_blame:Value")
        assert run_probe(mutant, Probe("neg", (0.7,))).failed
        cause = blame(Probe("sub", (2.5, 0.7)).case(), mutant)
        assert (cause.op, cause.kind, cause.consequences) == ("sub", "derivative", ()), cause.summary
    finally:
        del sys.modules[module.__name__]


def test_a_derived_op_that_does_not_call_the_failing_primitive_is_blamed_itself():
    """bishograd 0.1.0: a / b is a * b ** -1 and c / x is c * x ** -1, both failing at a tiny
    divisor (0 / 1e-300 raises there; here the gradient is nan).  c / x never calls /, so it is its own finding, not a consequence of /; an engine
    whose c / x does call / (this project's) gets it listed as /'s consequence."""
    import sys
    import types

    import engine.value

    class Value(engine.value.Value):
        def __truediv__(self, other):
            return self * other ** -1.0

        def __rtruediv__(self, other):
            return other * self ** -1.0

    class Calls(Value):
        def __rtruediv__(self, other):
            return type(self)(other) / self

    modules = {"reciprocal_engine_for_blame": Value, "reciprocal_calling_engine_for_blame": Calls}
    for name, cls in modules.items():
        module = types.ModuleType(name)
        module.Value = cls
        sys.modules[name] = module
    try:
        own = load_engine("reciprocal_engine_for_blame:Value")
        probe = Probe("rtruediv", (1e-300,), 0.0)  # 0 / x: b ** -1 has a slope beyond float64 there
        assert run_probe(own, probe).failed and run_probe(own, Probe("truediv", (0.0, 1e-300))).failed
        assert blame(probe.case(), own).op == "rtruediv"
        calling = load_engine("reciprocal_calling_engine_for_blame:Value")
        cause = blame(probe.case(), calling)
        assert cause.op == "truediv" and "rtruediv" in cause.consequences, cause.summary
        assert Value.__truediv__ is vars(Value)["__truediv__"]  # the watch is taken off
    finally:
        for name in modules:
            del sys.modules[name]


def test_severity_follows_the_relative_error():
    from properties.diagnosis.causes import severity

    assert severity(1e-2, 1.01, 1.0) == "wrong"
    assert severity(1e-9, 1.0 + 1e-9, 1.0) == "imprecise"
    assert severity(1e-9, -1e-300, 1e-300) == "wrong"  # the wrong sign
    assert severity(math.inf, None, 1.0) == "crash"


def test_a_wrong_traversal_is_not_taken_for_an_overwrite():
    """Every op adds to its operands' gradients, but backward visits the sines first, before they
    received their gradient: sin(x) + x * 1.25 then gives x one use's contribution, as an op that
    overwrites would.  The overwrite probe has nothing to traverse, so it acquits sin and add; on
    an engine whose add does overwrite, it convicts add alone."""
    import sys
    import types

    import engine.value
    from properties.diagnosis.blame import Diagnosis

    class SinesFirst(engine.value.Value):
        def _topological_order(self):
            return sorted(super()._topological_order(), key=lambda v: (v._op == "sin", v._serial))

    module = types.ModuleType("sines_first_engine_for_blame")
    module.Value = SinesFirst
    sys.modules[module.__name__] = module
    try:
        x = SinesFirst(0.625)
        (x.sin() + x * 1.25).backward()
        assert x.grad == 1.25  # the bug: cos(0.625) is missing
        diagnosis = Diagnosis(load_engine("sines_first_engine_for_blame:Value"))
        assert diagnosis._overwriter("sin") is None and diagnosis._overwriter("add") is None
    finally:
        del sys.modules[module.__name__]
    overwriting = Diagnosis(load_engine("mutant_engines.overwrite_add_only:Value"))
    assert overwriting._overwriter("add") is not None and overwriting._overwriter("sin") is None


def test_a_backward_that_tells_nodes_apart_by_value_is_named_so():
    """x0 * x1 and x2 * x3 are both 3.0: a visited set of .data never runs one of them.  The finding says
    which two nodes, as the reproducer's source spells them."""
    engine = load_engine("mutant_engines.traversal_visited_by_value:Value")
    twins = _graphs()[3]
    cause = blame(twins, engine)
    assert (cause.op, cause.kind) == (None, "traversal"), cause.summary
    assert "x0 * x1 and x2 * x3 hold the same value, 3.0" in cause.summary, cause.summary
    assert "return (x0 * x1) + (x2 * x3)" in cause.reproducer


def test_only_an_op_right_on_a_leaf_is_said_to_cut_the_graph_below_it():
    """exp's backward on its operand: right on a leaf, wrong above a product.  c / x built on a
    / whose derivative has the wrong sign is wrong above a product too, but also on a leaf: that
    is its formula's (through /), not its wiring."""
    assert cut_below(load_engine("mutant_engines.exp_backward_on_operand:Value"), "exp") is not None
    assert cut_below(load_engine("mutant_engines.div_deriv_denominator_sign:Value"), "rtruediv") is None
    assert cut_below(load_engine("engine:Value"), "exp") is None


def test_a_wrong_product_below_is_not_put_down_to_the_op_above_it():
    """A * whose derivative is imprecise (or whose value is off) makes every op above it wrong at
    x0: that is the *'s finding, not a wiring bug of each op."""
    for mutant in ("mul_deriv_imprecise", "mul_forward_off"):
        engine = load_engine(f"mutant_engines.{mutant}:Value")
        assert [op for op in ("add", "exp", "tanh") if cut_below(engine, op) is not None] == [], mutant


def test_a_broken_traversal_is_not_put_down_to_the_wiring_of_each_op():
    from properties.diagnosis.wiring import graph_sound

    assert not graph_sound(load_engine("mutant_engines.traversal_by_id:Value"))
    assert graph_sound(load_engine("mutant_engines.exp_backward_on_operand:Value"))
    assert graph_sound(load_engine("engine:Value"))


class EpsGuarded:
    """kaitorch's shape: ``a ** e`` adds 1e-8 to ``a`` in forward but not in backward, and ``a / b``
    is ``a * (b + 1e-8) ** -1``.  At b = -1e-8, ``/`` raises ZeroDivisionError in backward (its
    ``**`` meets 0.0 ** -2), while ``b ** -1`` alone raises in forward: the crash is ``/``'s."""

    def __init__(self, data, parents=()):
        self.data, self.grad, self._prev, self._backward = float(data), 0.0, parents, lambda: None

    def _lift(self, other):
        return other if isinstance(other, EpsGuarded) else EpsGuarded(other)

    def __add__(self, other):
        other = self._lift(other)
        out = EpsGuarded(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = self._lift(other)
        out = EpsGuarded(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, e):
        out = EpsGuarded((self.data + 1e-8) ** e, (self,))

        def _backward():
            self.grad += e * self.data ** (e - 1) * out.grad
        out._backward = _backward
        return out

    def __truediv__(self, other):
        return self * (self._lift(other) + 1e-8) ** -1

    def backward(self):
        order, seen = [], set()

        def build(v):
            if v not in seen:
                seen.add(v)
                for p in v._prev:
                    build(p)
                order.append(v)
        build(self)
        self.grad = 1.0
        for v in reversed(order):
            v._backward()


def test_an_op_that_crashes_otherwise_than_its_primitive_is_blamed_itself():
    from properties.core.engine_under_test import engine_of

    engine = engine_of(EpsGuarded)
    case = Probe("truediv", (-2.75, -1e-8)).case()
    with pytest.raises(CheckFailure) as failure:
        judge(case, engine, check_forward, check_gradient, check_torch)
    symptom = Symptom.of(failure.value)
    assert (symptom.phase, symptom.error) == ("backward", "ZeroDivisionError")
    cause = blame(case, engine, symptom)
    assert (cause.op, cause.kind, cause.phase, cause.error) == ("truediv", "crash", "backward", "ZeroDivisionError")
