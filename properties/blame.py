"""Blame: from a failing example to the op at fault, with a one-op reproducer.

A failing property says *that* an engine is wrong; blame says *where*.  It needs
nothing from the engine beyond its public ops, ``.data`` and ``.grad``: it
re-runs each op of the failing expression alone on the engine, at the engine's
own operand values (the same node twice where the expression used one node
twice), as the root and then below an upstream factor, and compares each with
mpmath and torch within that op's own allowance.  In order:

1. **storage**: ``Value(x).data`` is ``x``.
2. **the harness**: ``*`` (which applies the upstream factor) and ``+`` (which the
   graph probes use) alone, two operands and one operand twice; a fault in them
   is blamed on them (``x + x`` wrong while ``x + y`` is right: accumulation).
3. **the graph**: a chain and two diamonds of verified ``*`` and ``+``, and ``x0 * x1 + x2 * x3``
   with equal terms.  A traversal bug breaks every chain, including the ones an engine builds
   internally (``a - b`` as ``a + (-b)``), so it is found before any op is blamed; a backward
   that tells nodes apart by value (a visited set of ``.data``) never runs one term's step.
4. **forward**: the first node (in creation order) whose value differs from its op
   applied, in mpmath, to the engine's own operand values; or that raised.
5. **derivative**: the first edge in backward order whose contribution differs from
   the true partial at the engine's operand values times an upstream factor (the
   engine's own upstream gradient there); or the op whose backward raised.
6. **traversal or accumulation**: every op is right alone, yet a node's gradient
   is not the sum of its uses: the node and how (overwritten, counted twice,
   propagated before all uses were added, never propagated).

A faulty primitive makes the ops built on it fail too: when an op fails alone,
the primitives it is commonly built from (the registry's ``built_from``: ``a - b``
from ``-b`` and ``+``, ``a / b`` from ``b ** -1`` and ``*``) are probed at the values
it would give them, and a failing primitive is blamed instead, the op listed as
its consequence.  A crash that follows a wrong value is blamed on the wrong value
(forward values are checked first).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

from properties.checks import (
    Mismatch, Oracles, Skip, forward_mismatches, gradient_mismatches, oracles, torch_mismatches,
)
from properties.engine_under_test import EngineUnderTest
from properties.strategies import Case
from reference.backends import EngineRaised, is_value
from reference.expression import Expression, Function, Node, trace
from reference.mp_backend import mp_scalar_type
from reference.ops import REGISTRY

KINDS = ("forward", "derivative", "crash", "traversal", "accumulation", "unsupported")
WRONG = 1e-3  # above this relative error (or with the wrong sign) a result is wrong, not imprecise
ORDINARY = (1.5, -2.75, 0.625)  # where the harness ops are verified
UPSTREAM_FALLBACK = -0.75  # the upstream factor when the engine's own is 1, 0 or unknown
MAX_NODE_PROBES = 300  # distinct ops probed per example (a wide sum has thousands)


# ----- causes -------------------------------------------------------------------------------


@dataclass
class Cause:
    """One root cause: an op (or the graph), what is wrong, and a reproducer without the suite."""

    op: str | None  # a registry name, or None (the graph, the storage, every op)
    kind: str  # one of KINDS
    severity: str  # "crash", "wrong" or "imprecise" ("unsupported" for a missing operator)
    summary: str  # one line: "tanh, forward value: tanh(1e-100) returned 0.0, true 1e-100, relative error 1.0"
    reproducer: str
    relative_error: float = math.inf
    operands: tuple = ()  # the engine's operand values where it shows
    param: Any = None
    consequences: tuple[str, ...] = ()  # ops that fail because of it
    case: Any = None  # the minimal case that shows it (a one-op Case, or the small graph), for the corpus
    check: str = "gradient"  # the corpus check that case fails: forward, gradient or torch

    @property
    def key(self) -> tuple:
        return (self.op, self.kind)

    def to_dict(self) -> dict:
        """Plain data (what a pytest-xdist worker sends to the controller); without the case."""
        return {"op": self.op, "kind": self.kind, "severity": self.severity, "summary": self.summary,
                "reproducer": self.reproducer, "relative_error": self.relative_error,
                "operands": list(self.operands), "param": self.param, "consequences": list(self.consequences),
                "check": self.check}

    @classmethod
    def from_dict(cls, data: dict) -> "Cause":
        return cls(data["op"], data["kind"], data["severity"], data["summary"], data["reproducer"],
                   data["relative_error"], tuple(data["operands"]), data["param"], tuple(data["consequences"]),
                   check=data["check"])

    def with_consequence(self, op: str) -> "Cause":
        if op == self.op or op in self.consequences:
            return self
        return replace(self, consequences=self.consequences + (op,))


def severity(relative_error: float, engine: float | None, truth: float) -> str:
    if engine is None:
        return "crash"
    if not math.isfinite(relative_error) or relative_error > WRONG:
        return "wrong"
    if truth != 0 and engine != 0 and (engine > 0) != (truth > 0):
        return "wrong"
    return "imprecise"


# ----- probes: one op alone on the engine ---------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """One op alone: on leaves with the given values (``same``: one leaf used twice; ``constant``:
    a plain-number second operand), optionally multiplied by a leaf ``upstream``."""

    op: str
    operands: tuple[float, ...]
    param: Any = None
    constant: float | None = None
    same: bool = False
    upstream: float | None = None

    @property
    def spec(self):
        return REGISTRY[self.op]

    def case(self) -> Case:
        n = len(self.operands)
        nodes = [Node(input=k) for k in range(n)]
        inputs = list(self.operands)
        if self.upstream is not None:
            nodes.append(Node(input=n))
            inputs.append(self.upstream)
        if self.spec.arity == 2 and self.same:
            args = (0, 0)
        elif self.spec.arity == 2 and self.constant is not None:
            nodes.append(Node(const=self.constant))
            args = (0, len(nodes) - 1)
        else:
            args = tuple(range(self.spec.arity))
        nodes.append(Node(op=self.op, args=args, param=self.param))
        if self.upstream is not None:
            nodes.append(Node(op="mul", args=(len(nodes) - 1, n)))
        return Case(Expression(len(inputs), tuple(nodes)), tuple(inputs))

    def call_text(self, templates: dict[str, str]) -> str:
        """The op as source: ``x0.tanh()``, ``x0 * x0``, ``x0 + 3.0``."""
        names = ["x0", "x0"] if self.same else [f"x{k}" for k in range(len(self.operands))]
        if self.spec.arity == 2 and self.constant is not None and not self.same:
            names = ["x0", repr(self.constant)]
        param = "" if self.param is None else repr(self.param)
        return self.spec.render(names[: self.spec.arity], param, templates.get(self.op))

    def describe(self) -> str:
        """``tanh(1e-100)``, ``x * x at x = 2.0``, ``3.0 - x at x = 1.5``."""
        values = ", ".join(repr(v) for v in self.operands)
        if self.constant is not None:
            values += f", {self.constant!r}"
        if self.same:
            return f"{self.call_text({})} at x0 = {self.operands[0]!r}"
        if self.spec.source.startswith("{0}.") or self.spec.has_param:
            params = "" if self.param is None else f", param {self.param!r}"
            return f"{self.op}({values}{params})"
        return f"{self.call_text({})} at " + ", ".join(f"x{k} = {v!r}" for k, v in enumerate(self.operands))


@dataclass
class Outcome:
    probe: Probe
    kind: str | None  # None: it passes (or cannot be judged); else forward, derivative, crash
    mismatch: Mismatch | None = None
    error: EngineRaised | None = None
    oracles: Oracles | None = None

    @property
    def failed(self) -> bool:
        return self.kind is not None


def run_probe(engine: EngineUnderTest, probe: Probe, *, value: bool = True, gradient: bool = True,
              cache: dict | None = None) -> Outcome:
    key = (probe, value, gradient)
    if cache is not None and key in cache:
        return cache[key]
    outcome = _run_probe(engine, probe, value, gradient)
    if cache is not None:
        cache[key] = outcome
    return outcome


def _run_probe(engine: EngineUnderTest, probe: Probe, value: bool, gradient: bool) -> Outcome:
    try:
        o = oracles(probe.case(), engine, values_only=not gradient)
    except Skip:
        return Outcome(probe, None)
    except Exception:  # the oracle cannot evaluate it (e.g. torch refuses): nothing to judge
        return Outcome(probe, None)
    if o.error is not None:
        if o.error.phase == "backward" and not gradient:
            return Outcome(probe, None, oracles=o)
        return Outcome(probe, "crash", error=o.error, oracles=o)
    operands = len(probe.operands)
    if value and probe.upstream is None:
        found = forward_mismatches(o) + [m for m in torch_mismatches(o) if m.component == "value"]
        if found:
            return Outcome(probe, "forward", found[0], oracles=o)
    if gradient:
        found = [m for m in gradient_mismatches(o) + torch_mismatches(o)
                 if m.component != "value" and m.component < operands]
        if found:
            return Outcome(probe, "derivative", found[0], oracles=o)
    return Outcome(probe, None, oracles=o)


# ----- building causes from failed probes ---------------------------------------------------


def _reproducer(engine: EngineUnderTest, probe: Probe, o: Oracles | None) -> str:
    n = len(probe.operands)
    lines = [engine.import_line, ""]
    for k, x in enumerate(probe.operands):
        lines.append(f"x{k} = Value({x!r})  # exact: {float(x).hex()}")
    call = probe.call_text(engine.templates)
    if probe.upstream is not None:
        lines.append(f"g = Value({probe.upstream!r})  # an upstream factor: out = op * g")
        lines.append(f"out = ({call}) * g")
    else:
        lines.append(f"out = {call}")
    lines.append("out.backward()")
    if o is None:
        return "\n".join(lines)
    truth_value = float(o.true_value)
    if probe.upstream is None:
        lines.append(f"print('value', out.data, 'true', {truth_value!r})  # mpmath, 50 digits")
    expected = [_expected_gradient(o, k) for k in range(n)]
    for k, (truth, _, source) in enumerate(expected):
        lines.append(f"print('d out / d x{k}', x{k}.grad, 'true', {truth!r}){source}")
    if probe.upstream is None and o.error is None:
        lines.append(f"assert abs(out.data - {truth_value!r}) <= {o.value_allowed()!r}, 'value'")
    if o.error is None:
        for k, (truth, allowed, _) in enumerate(expected):
            lines.append(f"assert abs(x{k}.grad - {truth!r}) <= {allowed!r}, 'd out / d x{k}'")
    return "\n".join(lines)


def _expected_gradient(o: Oracles, k: int) -> tuple[float, float, str]:
    """What the reproducer holds d out / d x_k to: the truth and its allowance, or at a kink (where
    no derivative exists) torch's convention; and a comment saying which."""
    if o.mp is not None and o.mp.kink[k] and o.torch is not None:
        return float(o.torch.gradient[k]), o.gradient_allowed(k, "torch"), "  # at a kink: torch's convention"
    if o.mp is not None:
        return float(o.truth(k)[0]), o.gradient_allowed(k), ""
    return float(o.analytic(k)), o.gradient_allowed(k), ""


def cause_from(engine: EngineUnderTest, outcome: Outcome, kind: str | None = None) -> Cause:
    probe, o = outcome.probe, outcome.oracles
    kind = kind or outcome.kind
    what = probe.describe()
    if outcome.error is not None:
        err = outcome.error
        summary = (f"{probe.op}, crash: {what} raised {type(err.error).__name__} in {err.phase}: {err.error}"
                   + (f" (true value {float(o.true_value):.6g})" if o is not None else ""))
        return Cause(probe.op, "crash", "crash", summary, _reproducer(engine, probe, o), math.inf,
                     probe.operands, probe.param, case=probe.case(),
                     check="forward" if outcome.error.phase == "forward" else "gradient")
    m = outcome.mismatch
    rel = m.relative_error
    if kind == "forward":
        summary = (f"{probe.op}, forward value: {what} returned {m.engine!r}, true {m.expected!r}"
                   f" ({m.against}), relative error {rel:.2g}")
    else:
        k = m.component
        upstream = "" if probe.upstream is None else f" below an upstream factor {probe.upstream!r}"
        label = "accumulation" if kind == "accumulation" else "derivative"
        summary = (f"{probe.op}, {label}: d/dx{k} of {what}{upstream} is {m.engine!r}, true {m.expected!r}"
                   f" ({m.against}), relative error {rel:.2g}")
        if probe.upstream is not None and m.engine is not None and o is not None:
            local = o.analytic(k) / probe.upstream if probe.upstream else math.nan
            if _close(m.engine, local):
                summary += ": backward ignores the upstream gradient"
        if kind == "accumulation":
            summary += ": one use of the operand replaces the other"
        if m.against == "torch" and o is not None and m.engine is not None and o.gradient_oracle().kink[k]:
            summary += f" (at a kink, where the suite holds engines to torch's convention, {probe.op}' = {m.expected!r})"
    check = "torch" if m.against == "torch" else ("forward" if kind == "forward" else "gradient")
    return Cause(probe.op, kind, severity(rel, m.engine, m.expected), summary, _reproducer(engine, probe, o), rel,
                 probe.operands, probe.param, case=probe.case(), check=check)


def _close(a: float, b: float, rel: float = 1e-9) -> bool:
    return abs(a - b) <= rel * max(abs(a), abs(b)) + 1e-300


# ----- the diagnosis ------------------------------------------------------------------------


@dataclass
class Diagnosis:
    engine: EngineUnderTest
    cache: dict = field(default_factory=dict)

    def probe(self, probe: Probe, **kw) -> Outcome:
        return run_probe(self.engine, probe, cache=self.cache, **kw)

    # -- 1. storage --
    def storage(self, values: Iterable[float]) -> Cause | None:
        for x in list(values)[:8] + [0.1, 1 / 3, 1e-300, 123456.789]:
            try:
                stored = self.engine.value_type(x).data
            except Exception:
                continue
            if stored != x and not (x != x):
                try:
                    stored = float(stored)
                except (TypeError, ValueError):
                    pass
                rel = abs(stored - x) / abs(x) if x else math.inf
                summary = (f"storage: Value({x!r}).data is {stored!r}: the engine does not keep float64 values "
                           f"(relative error {rel:.2g})")
                repro = f"{self.engine.import_line}\n\nprint(Value({x!r}).data)  # expected {x!r}"
                return Cause(None, "forward", severity(rel, stored, x), summary, repro, rel, (x,))
        return None

    # -- 2. the harness --
    def verify(self, op: str) -> Cause | None:
        """``op`` alone at ordinary points, as the root: two operands, then one operand twice
        (accumulation).  Below an upstream factor it is a graph of two ops: the graph probes see that."""
        spec = REGISTRY[op]
        if not self.engine.supports(spec):
            return None
        a, b, c = ORDINARY
        for probe in (Probe(op, (a, b)), Probe(op, (b, c))):
            outcome = self.probe(probe)
            if outcome.failed:
                return cause_from(self.engine, outcome)
        same = self.probe(Probe(op, (a,), same=True))
        if same.failed:
            return cause_from(self.engine, same, "accumulation" if same.kind == "derivative" else None)
        return None

    # -- 3. the graph --
    def graph(self, ops: list[str]) -> Cause | None:
        """A chain and two diamonds of verified ops, each checked node by node."""
        for expression, inputs in _graph_probes(ops):
            cause = self.analyse(Case(expression, inputs), probes=False)
            if cause is not None:
                return cause
        return None

    # -- 4.-6. one example --
    def analyse(self, case: Case, *, probes: bool = True) -> Cause | None:
        expression, inputs = case.expression, case.inputs
        self._case = case
        engine = self.engine
        try:
            leaves = [engine.value_type(float(x)) for x in inputs]
        except Exception:
            return None
        values = _partial_values(expression, leaves, engine)
        order = list(expression._creation_order)
        root = values.get(len(expression.nodes) - 1)
        backward_raised = False
        if is_value(root):  # backward first: a recursion is the graph's, whatever the values
            try:
                root.backward()
            except RecursionError:
                depth = expression.depth()
                repro = (f"{engine.import_line}\n\nx = Value(0.5)\ny = x\nfor _ in range(5000):\n    y = y * 1.0\n"
                         "y.backward()  # RecursionError\nprint(x.grad)  # expected 1.0")
                return Cause(None, "traversal", "crash",
                             f"backward recurses: RecursionError on a graph {depth} ops deep (Python's limit is 1000)",
                             repro, math.inf, case=case)
            except Exception:
                backward_raised = True
        if probes:
            cause = self._forward(expression, order, values)
            if cause is not None:
                return cause
        if not is_value(root):
            return None
        if backward_raised:
            return self._derivatives(expression, order, values) if probes else None
        if probes:
            cause = self._derivatives(expression, order, values)
            if cause is not None:
                return cause
        return self._accumulation(expression, order, values)

    def _operands(self, expression: Expression, i: int, values: dict) -> Probe | None:
        """The probe for node i at the engine's own operand values."""
        node = expression.nodes[i]
        spec = REGISTRY[node.op]
        args = [_number(values.get(a)) for a in node.args]
        if any(v is None or not math.isfinite(v) for v in args):
            return None
        if not spec.operand_domains(node.param)[0].contains(args[0]) or (
                spec.arity == 2 and not spec.second_domain(args[0], node.param).contains(args[1])):
            return None  # the engine's operands are outside the op's domain: an earlier value is at fault
        if spec.arity == 2 and node.args[0] == node.args[1]:
            return Probe(node.op, (args[0],), node.param, same=True)
        if spec.arity == 2 and expression.nodes[node.args[1]].const is not None:
            return Probe(node.op, (args[0],), node.param, constant=args[1])
        return Probe(node.op, tuple(args), node.param)

    def _forward(self, expression: Expression, order: list[int], values: dict) -> Cause | None:
        """The first op whose value is wrong alone, in creation order, or the op that raised."""
        for count, i in enumerate(order):
            if count >= MAX_NODE_PROBES:
                break
            probe = self._operands(expression, i, values)
            if probe is None:
                break
            outcome = self.probe(probe, gradient=False)
            if outcome.failed:
                return self._root_cause(outcome)
            if i not in values:  # the engine raised here, but not alone: nothing more to learn forward
                break
        return None

    def _derivatives(self, expression: Expression, order: list[int], values: dict) -> Cause | None:
        """The first edge, in backward order, that is wrong alone (at the root, then below an upstream
        factor: the engine's own upstream gradient there) or whose backward raises alone."""
        for count, i in enumerate(reversed(order)):
            if count >= MAX_NODE_PROBES:
                break
            probe = self._operands(expression, i, values)
            if probe is None:
                continue
            outcome = self.probe(probe)
            if not outcome.failed and self._has_mul():
                outcome = self.probe(replace(probe, upstream=_upstream(values.get(i))))
            if outcome.failed:
                return self._root_cause(outcome)
        return None

    def _has_mul(self) -> bool:
        return self.engine.supports(REGISTRY["mul"]) and self.cache.get("mul verified", True)

    def _root_cause(self, outcome: Outcome, chain: tuple[str, ...] = ()) -> Cause:
        """The cause of a failing op probe, or of the primitive it is built from."""
        cause = cause_from(self.engine, outcome)
        probe = outcome.probe
        if probe.same:  # x * x wrong: is x * y at the same values right?
            two = self.probe(replace(probe, operands=probe.operands * 2, same=False), value=outcome.kind == "forward")
            if not two.failed and outcome.kind == "derivative":
                cause = cause_from(self.engine, outcome, "accumulation")
        for step in primitive_steps(probe):
            if not self.engine.supports(REGISTRY[step.op]) or step.op in chain + (probe.op,):
                continue
            inner = self.probe(step, gradient=outcome.kind != "forward")
            if inner.failed and inner.kind in (outcome.kind, "crash", "forward") and self._calls(probe, step.op):
                return self._root_cause(inner, chain + (probe.op,)).with_consequence(probe.op)
        return cause

    def _calls(self, probe: Probe, primitive: str) -> bool:
        """Does the engine's op, at this probe, call the engine's method for ``primitive`` (micrograd's
        ``a - b`` calls ``-b``)?  Only then can the failing primitive be its cause: an ``a - b``
        with a wrong backward of its own, or a ``c / x`` computed as ``c * x ** -1`` when ``/``
        fails, has a bug of its own.  Where the engine's class cannot be watched: yes."""
        key = ("calls", probe, primitive)
        if key not in self.cache:
            self.cache[key] = calls_primitive(self.engine, probe, primitive)
        return self.cache[key]

    def _accumulation(self, expression: Expression, order: list[int], values: dict) -> Cause | None:
        """Every op is right alone: the first node (root first) whose gradient is not the sum of its uses."""
        uses: dict[int, list[tuple[int, int]]] = {}
        for i in order:
            for position, a in enumerate(expression.nodes[i].args):
                uses.setdefault(a, []).append((i, position))
        root = len(expression.nodes) - 1
        nodes_root_first = [root] + [i for i in reversed(order) if i != root]
        nodes_root_first += [i for i in range(expression.n_inputs) if i not in nodes_root_first]
        for p in nodes_root_first[1:]:
            node = expression.nodes[p]
            if node.const is not None or p not in uses:
                continue
            obj = values.get(p)
            if not is_value(obj):
                continue
            contributions, partials = [], []
            for user, position in uses[p]:
                partial = _partial(expression, user, position, values)
                upstream = _grad(values.get(user))
                if partial is None or upstream is None:
                    contributions = None
                    break
                contributions.append(upstream * partial)
                partials.append(partial)
            actual = _grad(obj)
            if contributions is None or actual is None:
                continue
            expected = math.fsum(contributions)
            scale = math.fsum(abs(c) for c in contributions)
            if abs(actual - expected) <= 1e-7 * scale + 1e-300:
                continue
            upstreams = [_grad(values.get(user)) for user, _ in uses[p]]
            if _close(actual, math.fsum(partials), 1e-7) and any(not _close(g, 1.0) for g in upstreams):
                return self._ignores_upstream(expression, p, uses[p], values, upstreams)
            return self._graph_cause(expression, p, actual, contributions, uses[p], values)
        return None

    _case: Any = None  # the example being analysed

    def _graph_cause(self, expression, p, actual, contributions, uses, values) -> Cause:
        name = _name(expression, p, self.engine.templates)
        expected = math.fsum(contributions)
        rel = abs(actual - expected) / abs(expected) if expected else math.inf
        ops = sorted({expression.nodes[u].op for u, _ in uses})
        single = [k for k, c in enumerate(contributions) if _close(actual, c, 1e-7)]
        overwriting = [op for op in ops if self._overwrites(op)] if len(contributions) > 1 and single else []
        if overwriting:  # one use's contribution replaced the others', and an op does that alone
            kind, how = "accumulation", "overwritten: it holds the contribution of one use, not the sum of all"
            op = overwriting[0] if len(overwriting) < len(self.engine.ops) else None
        elif _close(actual, 0.0) or actual == 0.0:
            kind, how, op = "traversal", "never propagated: backward did not reach it", None
            for node in [u for u, _ in uses] + [p]:  # the use whose backward never ran, or p itself
                twin = _twin(expression, node, values, self.engine.templates)
                if twin is not None:
                    how += (f" ({_name(expression, node, self.engine.templates)} and {twin} hold the same value, {_number(values[node])!r}: "
                            "backward seems to tell nodes apart by value, e.g. a visited set of .data or a "
                            "__hash__/__eq__ on .data)")
                    break
        elif any(_close(actual, expected + c, 1e-7) for c in contributions) or _close(actual, 2 * expected, 1e-7):
            kind, how, op = "traversal", "counted twice: a use was propagated more than once", None
        else:
            kind, how, op = "traversal", "propagated before all of its uses were added", None
        where = "in the graph of the reproducer" if len(expression.source().splitlines()) <= 8 else "in the example"
        summary = (f"{op + ', ' if op else ''}{kind}: the gradient of {name} {where} is {actual!r}, but the sum of its "
                   f"{len(contributions)} use(s) is {expected!r}: {how}")
        if op:
            summary += f" ({op}'s backward assigns its operand's gradient instead of adding to it)"
        cause = Cause(op, kind, "wrong" if rel > WRONG or not math.isfinite(rel) else "imprecise", summary,
                      _graph_reproducer(self.engine, self._case, op), rel, case=self._case)
        return cause

    def _ignores_upstream(self, expression, p, uses, values, upstreams) -> Cause:
        """A node's gradient is the sum of its uses' local partials alone: their backward drops
        the upstream gradient.  Blamed on the op of the first such use, with a probe that shows it."""
        user, _ = next((u for u, g in zip(uses, upstreams) if not _close(g, 1.0)), uses[0])
        probe = replace(self._operands(expression, user, values), upstream=_upstream(values.get(user)))
        outcome = self.probe(probe)
        if outcome.failed:
            return cause_from(self.engine, outcome)
        op = expression.nodes[user].op
        return Cause(op, "derivative", "wrong", f"{op}, derivative: its backward ignores the upstream gradient",
                     f"{self.engine.import_line}\n\n{self.engine.source(expression)}", math.inf)

    def _overwrites(self, op: str) -> bool:
        """Does ``op``'s backward overwrite its operand's gradient instead of adding to it?"""
        key = ("overwrites", op)
        if key not in self.cache:
            self.cache[key] = self._overwrite_probe(op)
        return self.cache[key]

    def _overwrite_probe(self, op: str) -> bool:
        """x used by a reference op and by ``op``, each the root of its own one-op graph
        (properties/accumulation.py): nothing to traverse, so a wrong traversal cannot pass for
        an overwrite.  Only where the engine does not keep gradients across backward calls is
        the shared x probed inside one graph, in both orders of creation."""
        from properties.accumulation import ordinary_point, two_roots

        spec = REGISTRY[op]
        if not self.engine.supports(REGISTRY["mul"]) or not self.engine.supports(spec):
            return False
        check = two_roots(self.engine, op)
        if check is not None:
            return not check.ok
        operands, param = ordinary_point(spec)
        inputs = list(operands)
        ctx = mp_scalar_type(50).ctx
        partial = float(spec.partials(ctx, *map(ctx.mpf, inputs), *([] if param is None else [param]))[0])
        use = Node(op=op, args=(0, 1) if spec.arity == 2 else (0,), param=param)
        return self._shared_in_one_graph(inputs, use, partial)

    def _shared_in_one_graph(self, inputs: list[float], use: Node, partial: float) -> bool:
        c = len(inputs)
        for op_first in (True, False):
            nodes = [Node(input=k) for k in range(c + 1)]
            scale = Node(op="mul", args=(0, c))
            nodes += [use, scale] if op_first else [scale, use]
            nodes.append(Node(op="add", args=(c + 1, c + 2)))
            leaves = [self.engine.value_type(v) for v in inputs + [1.25]]
            try:
                self.engine.run(Expression(c + 1, tuple(nodes)), leaves).backward()
                got = float(leaves[0].grad)
            except Exception:
                return False
            if not _close(got, partial + 1.25, 1e-9):
                return True
        return False


def _graph_reproducer(engine: EngineUnderTest, case: Case, overwriting: str | None = None) -> str:
    """The graph, its inputs, and the true gradient (the exact chain rule, in mpmath)."""
    from reference.error_bounds import IllConditioned, error_bounds
    from reference.mp_backend import mp_value

    lines = [engine.import_line, "", engine.source(case.expression), "",
             f"leaves = [Value(x) for x in {list(case.inputs)!r}]", "out = f(*leaves)", "out.backward()"]
    try:
        root, leaves = mp_value(case.expression, case.inputs)
        truth = [float(a) for a in error_bounds(root, leaves).adjoints]
        lines.append(f"print([leaf.grad for leaf in leaves])  # true: {truth!r}")
    except (IllConditioned, ArithmeticError, ValueError):
        lines.append("print([leaf.grad for leaf in leaves])")
    lines.append(f"# {overwriting} assigns instead of adding: a node's gradient is not the sum over its uses"
                 if overwriting else "# every op of f is right alone: the gradient is not the sum over each node's uses")
    return "\n".join(lines)


def _name(expression: Expression, i: int, templates: dict[str, str] | None = None) -> str:
    """Node i as the reproducer's source shows it (``x0``, ``x0 * x1``), or ``node v7`` where that
    source would be long."""
    text = _source(expression, i, templates or {})
    return text if text is not None and len(text) <= 40 else f"node v{i}"


def _source(expression: Expression, i: int, templates: dict[str, str], depth: int = 3) -> str | None:
    node = expression.nodes[i]
    if node.is_input:
        return f"x{node.input}"
    if node.const is not None:
        return repr(node.const)
    if depth == 0:
        return None
    operands = [_source(expression, a, templates, depth - 1) for a in node.args]
    if None in operands:
        return None
    spec = REGISTRY[node.op]
    return spec.render([f"({o})" if " " in o else o for o in operands], "" if node.param is None else repr(node.param),
                       templates.get(node.op))


def _twin(expression: Expression, p: int, values: dict, templates: dict[str, str]) -> str | None:
    """Another node of the graph that holds the same value as node ``p``."""
    mine = _number(values.get(p))
    for i, node in enumerate(expression.nodes):
        if i != p and node.const is None and is_value(values.get(i)) and _number(values[i]) == mine:
            return _name(expression, i, templates)
    return None


def _graph_probes(ops: list[str]) -> list[tuple[Expression, tuple[float, ...]]]:
    """Small graphs of the harness ops: a chain, two diamonds whose shared node is reached by
    paths of different lengths (a wrong order or a missing visited set shows there), and two
    distinct intermediates of equal value (a backward that tells nodes apart by value skips one)."""
    out = []
    combine = [op for op in ("mul", "add") if op in ops]
    if "mul" in ops:
        # ((x * a) * b) * c
        out.append((Expression(4, (Node(input=0), Node(input=1), Node(input=2), Node(input=3),
                                   Node(op="mul", args=(0, 1)), Node(op="mul", args=(4, 2)), Node(op="mul", args=(5, 3)))),
                    (1.5, -2.75, 0.625, 1.25)))
        for top in combine:
            # u = x * a; v = u * b; w = v * c; out = w (top) u
            out.append((Expression(4, (Node(input=0), Node(input=1), Node(input=2), Node(input=3),
                                       Node(op="mul", args=(0, 1)), Node(op="mul", args=(4, 2)),
                                       Node(op="mul", args=(5, 3)), Node(op=top, args=(6, 4)))),
                        (1.5, -2.75, 0.625, 1.25)))
    elif "add" in ops:
        out.append((Expression(2, (Node(input=0), Node(input=1), Node(op="add", args=(0, 1)),
                                   Node(op="add", args=(2, 1)), Node(op="add", args=(3, 2)))), (1.5, -2.75)))
    for op in combine[:1]:
        # u = x0 (op) x1; v = x2 (op) x3; out = u + v (or u * v), where u and v are equal in value
        top = "add" if "add" in ops else op
        out.append((Expression(4, (Node(input=0), Node(input=1), Node(input=2), Node(input=3),
                                   Node(op=op, args=(0, 1)), Node(op=op, args=(2, 3)), Node(op=top, args=(4, 5)))),
                    (1.5, 2.0, 0.75, 4.0) if op == "mul" else (1.5, 2.0, 0.5, 3.0)))
    return out


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
        V = engine.value_type
        leaves = [V(float(x)) for x in probe.operands]
        out = engine.run(probe.case().expression, leaves + ([] if probe.upstream is None else [V(probe.upstream)]))
        out.backward()
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


def _partial_values(expression: Expression, leaves, engine: EngineUnderTest) -> dict:
    """The engine's node values up to the first op that raises."""
    values: dict[int, Any] = {}
    for i, node in enumerate(expression.nodes):
        if node.op is None:
            values[i] = leaves[node.input] if node.is_input else node.const
    for i in expression._creation_order:
        node = expression.nodes[i]
        call = engine.calls.get(node.op) or REGISTRY[node.op].call
        try:
            args = [values[a] for a in node.args]
            values[i] = call(*args) if node.param is None else call(*args, node.param)
        except Exception:
            break
    return values


def _grad(obj) -> float | None:
    try:
        g = obj.grad
        return 0.0 if g is None else float(g)
    except (AttributeError, TypeError, ValueError):
        return None


def _upstream(obj, truth=None) -> float:
    g = _grad(obj) if obj is not None else (float(truth) if truth is not None else None)
    if g is None or not math.isfinite(g) or g in (0.0, 1.0) or not 1e-10 <= abs(g) <= 1e10:
        return UPSTREAM_FALLBACK
    return g


def _partial(expression: Expression, user: int, position: int, values: dict) -> float | None:
    """The true partial of node ``user`` with respect to its operand ``position``, at the engine's operands."""
    node = expression.nodes[user]
    spec = REGISTRY[node.op]
    ctx = mp_scalar_type(50).ctx
    operands = [_number(values.get(a)) for a in node.args]
    if any(v is None for v in operands):
        return None
    try:
        partials = spec.partials(ctx, *map(ctx.mpf, operands), *([] if node.param is None else [node.param]))
        return float(partials[position])
    except (ArithmeticError, ValueError, TypeError):
        return None


def _number(obj: Any) -> float | None:
    """The float an engine value (or a plain-number constant) holds."""
    try:
        return float(obj.data) if is_value(obj) else float(obj)
    except (TypeError, ValueError, AttributeError):
        return None


# ----- entry points -------------------------------------------------------------------------


def as_cases(case: Any) -> list[Case]:
    """A case, or several, with Functions traced into Expressions."""
    out = []
    for c in case if isinstance(case, (list, tuple)) else [case]:
        if c is None:
            continue
        if isinstance(c.expression, Function):
            try:
                c = Case(trace(c.expression, c.inputs), c.inputs)
            except Exception:
                continue
        out.append(c)
    return out


def blame(case: Any, engine: EngineUnderTest) -> Cause | None:
    """The root cause of ``case`` (a Case, a list of them, Functions included) failing on ``engine``,
    or None where blame cannot tell (the report then stands on its own)."""
    cases = as_cases(case)
    if not cases:
        return None
    d = Diagnosis(engine)
    inputs = [x for c in cases for x in c.inputs]
    cause = d.storage(inputs)
    if cause is not None:
        return cause
    ops_in_cases = {op for c in cases for op in c.expression.ops()}
    harness = {op: d.verify(op) for op in ("mul", "add") if engine.supports(REGISTRY[op])}
    overwrites = [op for op, cause in harness.items() if cause is not None and cause.kind == "accumulation"]
    if overwrites:
        if len(overwrites) > 1:  # x * x and x + x both lose a use: backward itself overwrites
            first = harness[overwrites[0]]
            return replace(first, op=None, summary=(
                "accumulation: backward assigns a node's gradient instead of adding to it: "
                + " and ".join(f"{REGISTRY[op].source.format('x', 'x')}" for op in overwrites)
                + " have the wrong gradient, while the same ops on two different values are right"))
        return harness[overwrites[0]]
    for op, cause in harness.items():
        if cause is not None and op in ops_in_cases:
            return cause
    d.cache["mul verified"] = harness.get("mul") is None
    verified = [op for op, cause in harness.items() if cause is None]
    cause = d.graph(verified)
    if cause is not None:
        return cause
    for c in cases:
        cause = d.analyse(c)
        if cause is not None:
            return cause
    return None


__all__ = ["Cause", "KINDS", "Probe", "blame", "run_probe", "severity"]
