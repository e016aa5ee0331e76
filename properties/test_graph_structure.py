"""Laws of the graph, whatever the ops: shared nodes, reuse, depth and width.

These catch the bugs that broke micrograd: a gradient overwritten instead of
accumulated on a reused node, a node visited twice or in the wrong order, and
recursion past Python's limit on deep graphs.
"""

from __future__ import annotations

import random
import sys

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from properties.core.checks import (
    SAFETY,
    CheckFailure,
    Mismatch,
    Skip,
    check_forward,
    check_gradient,
    check_torch,
    judge_example,
    oracles,
)
from properties.core.reproducers import Reproducer, recursion
from properties.core.session import active
from properties.diagnosis.hangs import exponential_backward
from properties.strategies import cases
from properties.values import floats_in
from reference.backends import EngineRaised
from reference.domains import SMALLEST_SUBNORMAL, UNIT_ROUNDOFF, Domain
from reference.expression import Case, Expression, Node
from reference.mp_backend import mp_scalar_type
from reference.ops import REGISTRY

pytestmark = pytest.mark.op("*")  # graph laws hold for every op


def _supported(*names: str) -> list[str]:
    """The ops among ``names`` that the active run's engine has."""
    engine = active().engine
    return [n for n in names if engine.supports(REGISTRY[n])]


@st.composite
def small_cases(draw) -> Case:
    """Random expressions of up to 12 ops over the active run's engine's ops."""
    run = active()
    if "small cases" not in run.cache:
        run.cache["small cases"] = cases(ops=run.engine.ops, max_ops=12, params=run.engine.params)
    return draw(run.cache["small cases"])


# ----- shared subexpressions --------------------------------------------------


@pytest.mark.needs()
@given(small_cases())
def test_tree_and_dag_give_the_same_gradient(engine, case):
    """Built with shared nodes (a DAG) or with every shared node duplicated (a tree), the same
    function has the same gradient: sharing must neither lose nor double a contribution."""
    try:
        tree = Case(case.expression.unshared(max_nodes=400), case.inputs)
    except ValueError:
        event("tree form too large: compared against mpmath only")
        judge_example(case, engine, check_gradient)
        return
    event(f"{min(case.expression.shared_ops(), 3)}{'+' if case.expression.shared_ops() > 3 else ''} shared op nodes")
    try:
        as_dag, as_tree = oracles(case, engine), oracles(tree, engine)
    except Skip as skip:
        event(f"skipped, {skip.reason}")
        return
    for o in (as_dag, as_tree):
        check_gradient(o)  # each against the truth first: the report then names the culprit
    for k in range(case.expression.n_inputs):
        allowed = SAFETY * (as_dag.bounds.gradient[k] + as_tree.bounds.gradient[k])
        if not abs(as_dag.result.gradient[k] - as_tree.result.gradient[k]) <= allowed:
            raise CheckFailure(
                f"tree vs DAG FAILED: d f / d x{k} is {as_dag.result.gradient[k]!r} with shared nodes and "
                f"{as_tree.result.gradient[k]!r} as a tree (allowed difference {allowed:.3g})\n\n"
                f"Reproducer (engine {engine.name}):\n"
                + Reproducer(engine).line(
                    engine.source(case.expression, "f_dag"), "", engine.source(tree.expression, "f_tree"), "",
                    f"inputs = {list(case.inputs)!r}", "grads = []", "for f in (f_dag, f_tree):",
                    f"    leaves = [{engine.adapter.leaf_source('x')} for x in inputs]",
                    f"    {engine.adapter.backward_source('f(*leaves)')}",
                    f"    grads.append([{engine.adapter.gradient_source('leaf')} for leaf in leaves])",
                    f"print(grads[0][{k}], grads[1][{k}], abs(grads[0][{k}] - grads[1][{k}]) <= {allowed!r})"
                    "  # expected True").text(),
                label="tree vs DAG", case=[case, tree], engine=engine,
            )


@st.composite
def fans(draw) -> Case:
    """One op node ``v = op(x)`` used 2 to 6 times, the uses combined with + and *; the leaf x itself
    where the engine has no unary op (it may have none but + and *)."""
    unary = [REGISTRY[n] for n in _supported(*(s.name for s in REGISTRY.values() if s.arity == 1 and not s.has_param))]
    spec = unary[draw(st.integers(0, len(unary) - 1))] if unary else None
    domain = Domain(-5.0, 5.0) if spec is None else spec.operand_domains()[0].intersect(Domain(-5.0, 5.0))
    x = draw(floats_in(domain))  # keeps sqrt's and log's x != 0
    nodes = [Node(input=0)] + ([] if spec is None else [Node(op=spec.name, args=(0,))])
    uses = draw(st.integers(2, 6))
    combine = _supported("add", "mul") or ["add"]
    root = shared = len(nodes) - 1
    for _ in range(uses - 1):
        op = combine[draw(st.integers(0, len(combine) - 1))]
        nodes.append(Node(op=op, args=(root, shared)))
        root = len(nodes) - 1
    return Case(Expression(1, tuple(nodes)), (x,))


@pytest.mark.needs("add")
@given(fans())
def test_a_node_used_many_times_gets_the_sum_of_its_uses(engine, case):
    """v = op(x) used k times: d/dx sums k contributions through v, each counted once."""
    judge_example(case, engine, check_gradient, check_torch)


@pytest.mark.needs("add")
def test_backward_visits_a_shared_node_once(engine):
    """y = y + y, 8 and then 16 times: a backward that walks each path to a shared node (its visited
    check after the recursion into it, not before) is right, and 256 times slower at 16 levels;
    at 40 it never returns.  (A complexity check with a margin of 2**8: a linear backward takes
    microseconds at both depths.)"""
    cause = exponential_backward(engine)
    if cause is not None:
        failure = CheckFailure(f"shared nodes FAILED: {cause.summary}\n\nReproducer:\n{cause.reproducer}",
                               label="shared nodes", engine=engine)
        failure.cause = cause
        raise failure


@pytest.mark.needs("add")
@given(st.integers(1, 20), floats_in(Domain(-1e3, 1e3)))
def test_a_reused_intermediate_doubles_exactly(engine, n, x):
    """micrograd's issue 2 / PR 64: a = x; b = a + a; c = b + b; ... after n doublings
    d/dx = 2**n exactly (every step is exact in float64)."""
    nodes = [Node(input=0)] + [Node(op="add", args=(k, k)) for k in range(n)]
    case = Case(Expression(1, tuple(nodes)), (x,))
    raised = None
    try:
        leaf = engine.leaf(x)
        out = leaf
        for _ in range(n):
            out = engine.apply("add", out, out)
        engine.backward(out)
        value, gradient = engine.number(out), engine.gradient(leaf)
    except Exception as error:  # raised below, outside this block: hypothesis tells failures apart by their context
        raised = f"{type(error).__name__}: {error}"
    if raised is not None:
        raise CheckFailure(f"reused intermediate FAILED: the engine raised {raised}", label="reused intermediate",
                           case=case, engine=engine)
    if gradient != 2.0**n or value != x * 2.0**n:
        a = engine.adapter
        raise CheckFailure(
            f"reused intermediate FAILED after {n} doublings: value {value!r} (expected {x * 2.0**n!r}), "
            f"d/dx {gradient!r} (expected {2.0**n!r})\n\nReproducer:\n"
            + Reproducer(engine).line(f"x = {a.leaf_source(repr(x))}", "out = x", f"for _ in range({n}):",
                                      f"    out = {engine.source_of('add', 'out', 'out')}", a.backward_source("out"),
                                      f"print({a.number_source('out')}, {a.gradient_source('x')})"
                                      f"  # expected {x * 2.0**n!r} {2.0**n!r}").text(),
            label="reused intermediate", case=case, engine=engine,
        )


# ----- depth and width ----------------------------------------------------------

CHAIN_OPS = ("sin", "tanh", "cos", "rmul", "radd", "mul")


@st.composite
def chains(draw, min_length: int = 1100, max_length: int = 1600) -> Case:
    """A chain of bounded ops (values stay moderate) longer than Python's default recursion limit.

    The ops are picked by a seeded random generator rather than one draw each: a
    thousand draws would make hypothesis' smallest example too large to work with."""
    usable = _supported(*CHAIN_OPS)
    length = draw(st.integers(min_length, max_length))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    nodes = [Node(input=0)]
    for _ in range(length):
        name = rng.choice(usable)
        if name == "rmul":
            nodes.append(Node(op=name, args=(len(nodes) - 1,), param=rng.choice([0.5, 0.9, 1.1, -1.0])))
        elif name == "radd":
            nodes.append(Node(op=name, args=(len(nodes) - 1,), param=rng.choice([0.25, -0.5, 1.0])))
        elif name == "mul":  # times a constant on the right: x * c
            nodes.append(Node(const=rng.choice([0.5, 1.5, -1.0])))
            nodes.append(Node(op=name, args=(len(nodes) - 2, len(nodes) - 1)))
        else:
            nodes.append(Node(op=name, args=(len(nodes) - 1,)))
    return Case(Expression(1, tuple(nodes)), (draw(floats_in(Domain(-2.0, 2.0))),))


@pytest.mark.deep_graph
@pytest.mark.needs(*CHAIN_OPS, any=True)
@pytest.mark.examples(0.03)  # they build thousands of nodes
@given(chains())
def test_a_chain_deeper_than_the_recursion_limit(engine, case):
    """Backward must not recurse: a chain of 1100-1600 nodes, run with 1000 free stack frames
    (Python's default limit; hypothesis raises the limit while a test runs).  First a chain of ``*``
    by constants alone, as deep: its depth shows whatever the drawn ops do (one that crashes is
    their finding, not a reason to miss a recursion); then the drawn chain, its values judged."""
    plain = _plain_chain(engine, case.inputs[0], case.expression.depth())
    for chain in [c for c in (plain, case) if c is not None]:
        raised = _run_deep(engine, chain)
        if raised is not None and isinstance(raised.error, RecursionError):
            raise CheckFailure(
                f"deep graph FAILED: RecursionError in {raised.phase} on a chain of {chain.expression.depth()} ops "
                f"(Python's default recursion limit is {DEFAULT_RECURSION_LIMIT}): it must not recurse\n\n"
                f"Reproducer:\n{recursion(engine)}",
                label="deep graph", case=chain, engine=engine, raised=raised,
            )
        if raised is not None and chain is case:
            raise CheckFailure(f"deep graph FAILED: the engine raised in {raised.phase}: {type(raised.error).__name__}: "
                               f"{raised.error}", label="deep graph", case=case, engine=engine, raised=raised)
    judge_example(case, engine, check_forward, check_gradient)


def _run_deep(engine, case: Case) -> EngineRaised | None:
    """What the engine raises on ``case`` with Python's default recursion limit free, if anything."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(_stack_depth() + DEFAULT_RECURSION_LIMIT)
    try:
        engine.evaluate(case.expression, case.inputs)
    except EngineRaised as error:
        return error
    finally:
        sys.setrecursionlimit(limit)
    return None


def _plain_chain(engine, x: float, depth: int) -> Case | None:
    """x * 0.5 * 2.0 * 0.5 * ... (exact), ``depth`` ops deep; with no ``*``, x + 0.5 + -0.5 + ...;
    None with neither (the drawn chain alone is run)."""
    op = next((op for op in ("mul", "add") if engine.supports(REGISTRY[op])), None)
    if op is None:
        return None
    constants = (0.5, 2.0) if op == "mul" else (0.5, -0.5)
    nodes = [Node(input=0)]
    for k in range(depth):
        nodes.append(Node(const=constants[k % 2]))
        nodes.append(Node(op=op, args=(len(nodes) - 2, len(nodes) - 1)))
    return Case(Expression(1, tuple(nodes)), (x,))


DEFAULT_RECURSION_LIMIT = 1000


def _stack_depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


@pytest.mark.needs("mul", "add")
@pytest.mark.examples(0.03)  # they build thousands of nodes
@given(st.integers(1000, 1500), st.integers(0, 2**32 - 1))
def test_a_wide_sum_of_products(engine, width, seed):
    """sum(x_i * y_i) over thousands of terms: every d/dx_i is exactly y_i (a product's partial is
    the other factor, and sums pass 1.0 on), and the value is within the running error bound."""
    xs, ys = _uniform_pairs(width, seed)
    expression = Expression(2 * width, tuple(_sum_of_products_nodes(width)))
    case = Case(expression, tuple(xs + ys))
    result, raised = None, None
    try:
        result = engine.evaluate(expression, xs + ys)
    except EngineRaised as error:  # raised below, outside this block: hypothesis tells failures apart by their context
        raised = error
    if raised is not None:
        raise CheckFailure(f"wide sum FAILED: the engine raised in {raised.phase}: {type(raised.error).__name__}: "
                           f"{raised.error}", label="wide sum", case=case, engine=engine, raised=raised)
    grad_x, grad_y = result.gradient[:width], result.gradient[width:]
    reproducer = "Reproducer:\n" + Reproducer(engine).line(
        "import random", f"rng = random.Random({seed})", f"xs = [rng.uniform(-10, 10) for _ in range({width})]",
        f"ys = [rng.uniform(-10, 10) for _ in range({width})]",
        f"X = [{engine.adapter.leaf_source('x')} for x in xs]; Y = [{engine.adapter.leaf_source('y')} for y in ys]",
        f"total = {engine.source_of('mul', 'X[0]', 'Y[0]')}", "for a, b in zip(X[1:], Y[1:]):",
        f"    total = {engine.source_of('add', 'total', engine.source_of('mul', 'a', 'b'))}",
        engine.adapter.backward_source("total"),
        "").text()
    wrong = [i for i in range(width) if grad_x[i] != ys[i] or grad_y[i] != xs[i]]
    if wrong:
        i = wrong[0]
        term = Case(Expression(2, (Node(input=0), Node(input=1), Node(op="mul", args=(0, 1)))), (xs[i], ys[i]))
        raise CheckFailure(
            f"wide sum FAILED: with {width} terms, d/dx{i} = {grad_x[i]!r} (expected y{i} = {ys[i]!r}) and "
            f"d/dy{i} = {grad_y[i]!r} (expected x{i} = {xs[i]!r}); {len(wrong)} terms wrong\n\n{reproducer}"
            f"print([i for i in range(len(xs)) if {engine.adapter.gradient_source('X[i]')} != ys[i] "
            f"or {engine.adapter.gradient_source('Y[i]')} != xs[i]][:10])  # expected []",
            label="wide sum", case=[term, case], engine=engine, mismatch=Mismatch("wide sum", 0, grad_x[i], ys[i], 0.0),
        )
    exact, bound = sum_of_products_bound(xs, ys)
    allowed = SAFETY * bound
    if not abs(result.value - exact) <= allowed:
        raise CheckFailure(
            f"wide sum FAILED: value {result.value!r}, exact {exact!r}, error "
            f"{abs(result.value - exact):.3g} > allowed {allowed:.3g} ({width} terms)\n\n{reproducer}"
            f"print({engine.adapter.number_source('total')}, abs({engine.adapter.number_source('total')} - {exact!r})"
            f" <= {allowed!r})  # expected True",
            label="wide sum", case=case, engine=engine,
        )


def sum_of_products_bound(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """The exact value of x_0*y_0 + x_1*y_1 + ... (added left to right) and the bound
    :func:`reference.error_bounds.error_bounds` derives for it, in closed form: each product may
    round by u |p_k| and sink among the subnormals (eta), each partial sum S_k by u |S_k|, and
    the errors add (every partial derivative is 1).  The same numbers as the running analysis
    (tests/test_error_bounds.py holds them to it), without its 4,500 mpmath nodes."""
    ctx = mp_scalar_type().ctx
    products = [ctx.mpf(x) * ctx.mpf(y) for x, y in zip(xs, ys)]  # exact: 106 bits of 166
    partial, sums = ctx.zero, []
    for p in products:
        partial += p
        sums.append(abs(partial))
    u, eta = ctx.mpf(UNIT_ROUNDOFF), ctx.mpf(SMALLEST_SUBNORMAL)
    bound = u * ctx.fsum(abs(p) for p in products) + len(products) * eta + u * ctx.fsum(sums[1:])
    return float(partial), float(bound)


def _uniform_pairs(width: int, seed: int) -> tuple[list[float], list[float]]:
    rng = random.Random(seed)
    return [rng.uniform(-10, 10) for _ in range(width)], [rng.uniform(-10, 10) for _ in range(width)]


def _sum_of_products_nodes(width: int) -> list[Node]:
    """x_0*y_0 + x_1*y_1 + ... as expression nodes (inputs x_0..x_{n-1}, then y_0..y_{n-1})."""
    nodes = [Node(input=k) for k in range(2 * width)]
    nodes.append(Node(op="mul", args=(0, width)))
    total = len(nodes) - 1
    for i in range(1, width):
        nodes.append(Node(op="mul", args=(i, width + i)))
        nodes.append(Node(op="add", args=(total, len(nodes) - 1)))
        total = len(nodes) - 1
    return nodes
