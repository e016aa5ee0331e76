"""Expressions as data: a DAG of registry ops that runs on every backend and
renders as Python source a user can paste.

Nodes are kept in topological order and the last one is the root.  A node is
an input, a plain-number constant, or an op from the registry applied to
earlier nodes; a node used by several later ones is a shared subexpression.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable, Mapping, Sequence

from reference.ops import REGISTRY, method_in


@dataclass(frozen=True)
class Node:
    op: str | None = None  # a registry name; None for an input or a constant
    args: tuple[int, ...] = ()  # indices of earlier nodes
    param: float | None = None  # the op's constant (an exponent, a reflected operand)
    input: int | None = None  # for an input: its position
    const: float | None = None  # for a constant: its value

    @property
    def is_input(self) -> bool:
        return self.input is not None


@dataclass(frozen=True, repr=False)
class Expression:
    """A function of ``n_inputs`` scalars, callable on engine values, tensors and mpmath scalars."""

    n_inputs: int
    nodes: tuple[Node, ...]

    def __post_init__(self) -> None:
        for i, node in enumerate(self.nodes):
            if node.op is not None and node.op not in REGISTRY:
                raise ValueError(f"node {i}: unknown op {node.op!r}")
            if any(not 0 <= a < i for a in node.args):
                raise ValueError(f"node {i}: arguments {node.args} must refer to earlier nodes")
            if node.input is not None and not 0 <= node.input < self.n_inputs:
                raise ValueError(f"node {i}: input {node.input} out of range")

    def __call__(self, *inputs: Any) -> Any:
        return self.run(inputs)

    def on_torch(self, *inputs: Any) -> Any:
        """Like calling the expression, with each spec's ``torch_call`` where torch spells an op differently."""
        return self.run(inputs, {name: spec.torch_call for name, spec in REGISTRY.items() if spec.torch_call})

    def run(self, inputs: Sequence[Any], calls: Mapping[str, Callable] | None = None,
            lift: Callable | None = None, number: Callable | None = None) -> Any:
        """The root's value with ``inputs`` as the input nodes; ``calls`` replaces the registry's
        call of an op (an engine that spells it differently, torch); ``lift`` makes each constant
        a value (an engine whose ops take no plain numbers).  (``number``: see :class:`Function`.)"""
        return self.values(inputs, calls, lift)[len(self.nodes) - 1]

    def values(self, inputs: Sequence[Any], calls: Mapping[str, Callable] | None = None,
               lift: Callable | None = None) -> dict[int, Any]:
        """The value of every live node, by node index (what blame inspects)."""
        if len(inputs) != self.n_inputs:
            raise TypeError(f"expression takes {self.n_inputs} inputs, got {len(inputs)}")
        calls = calls or {}
        values: dict[int, Any] = {}
        for i, node in enumerate(self.nodes):
            if node.op is None:
                values[i] = inputs[node.input] if node.is_input else (lift(node.const) if lift else node.const)
        for i in self._creation_order:  # the order running the source creates them: see _render
            node = self.nodes[i]
            call = calls.get(node.op) or REGISTRY[node.op].call
            args = [values[a] for a in node.args]
            values[i] = call(*args) if node.param is None else call(*args, node.param)
        return values

    # ----- structure -----

    def live(self) -> list[int]:
        """Indices of the nodes the root depends on, in order."""
        needed = {len(self.nodes) - 1}
        for i in range(len(self.nodes) - 1, -1, -1):
            if i in needed:
                needed.update(self.nodes[i].args)
        return sorted(needed)

    def ops(self) -> set[str]:
        return {self.nodes[i].op for i in self.live() if self.nodes[i].op is not None}

    def size(self) -> int:
        """Number of op nodes the root depends on."""
        return sum(1 for i in self.live() if self.nodes[i].op is not None)

    def depth(self) -> int:
        depths: list[int] = []
        for node in self.nodes:
            depths.append(1 + max((depths[a] for a in node.args), default=-1) if node.op else 0)
        return depths[-1]

    def uses(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for i in self.live():
            for a in self.nodes[i].args:
                counts[a] = counts.get(a, 0) + 1
        return counts

    def unshared(self, max_nodes: int = 5000) -> "Expression":
        """The same function built as a tree: every use of a shared op node gets its own copy
        (inputs stay shared: they are the variables).  Raises ValueError past ``max_nodes``."""
        nodes = [Node(input=k) for k in range(self.n_inputs)]
        index_of_input = {k: k for k in range(self.n_inputs)}
        # iterative post-order copy: (node index, args copied so far)
        result: list[int] = []
        stack: list[tuple[int, bool]] = [(len(self.nodes) - 1, False)]
        while stack:
            i, expanded = stack.pop()
            node = self.nodes[i]
            if node.is_input:
                result.append(index_of_input[node.input])
            elif node.op is None:
                nodes.append(node)
                result.append(len(nodes) - 1)
            elif not expanded:
                stack.append((i, True))
                stack.extend((a, False) for a in reversed(node.args))
            else:
                args = tuple(result[len(result) - len(node.args):])
                del result[len(result) - len(node.args):]
                nodes.append(Node(op=node.op, args=args, param=node.param))
                result.append(len(nodes) - 1)
                if len(nodes) > max_nodes:
                    raise ValueError(f"the tree form has more than {max_nodes} nodes")
        return Expression(self.n_inputs, tuple(nodes))

    def shared_ops(self) -> int:
        """How many op nodes are used more than once."""
        return sum(1 for i, n in self.uses().items() if n > 1 and self.nodes[i].op is not None)

    # ----- source -----

    def source(self, name: str = "f", templates: Mapping[str, str] | None = None,
               constant: Callable[[float], str] | None = None) -> str:
        """The expression as a Python function; shared subexpressions get their own variable.
        ``templates`` spells ops the engine's way (``{"log": "{0}.ln()"}`` prints ``x0.ln()``);
        ``constant`` spells a constant operand (``Value(3.0)`` for an engine that takes no numbers)."""
        params = ", ".join(f"x{k}" for k in range(self.n_inputs))
        return "\n".join([f"def {name}({params}):", *self._render(templates or {}, constant)[0]])

    @cached_property
    def _creation_order(self) -> list[int]:
        return self._render({})[1]

    def _render(self, templates: Mapping[str, str],
                constant: Callable[[float], str] | None = None) -> tuple[list[str], list[int]]:
        """The body of :meth:`source`, and the op nodes in the order that running it creates them.

        Calling the expression creates its nodes in that same order, so that the source is a
        faithful reproducer even on an engine (or torch) whose backward sums a shared node's
        gradient contributions in creation order: a different order may round differently.
        Python evaluates an operator's operands left to right before the operator, and the
        statements top to bottom (a method call of another name evaluates them in the same order).
        """
        uses = self.uses()
        lines: list[str] = []
        order: list[int] = []
        text: dict[int, str] = {}
        atomic: dict[int, bool] = {}
        inlined: dict[int, bool] = {}

        def created(i: int) -> None:  # post-order over what statement i's text inlines
            spec = REGISTRY[self.nodes[i].op]
            for k in sorted(range(len(self.nodes[i].args)), key=lambda k: spec.source.index(f"{{{k}}}")):
                a = self.nodes[i].args[k]
                if inlined.get(a):
                    created(a)
            order.append(i)

        root = len(self.nodes) - 1
        for i in self.live():
            node = self.nodes[i]
            if node.is_input:
                text[i], atomic[i] = f"x{node.input}", True
                continue
            if node.op is None:
                text[i], atomic[i] = (_number(node.const) if constant is None else constant(node.const)), True
                continue
            spec = REGISTRY[node.op]
            operands = [text[a] if atomic[a] else f"({text[a]})" for a in node.args]
            template = templates.get(node.op) or spec.source
            expr = spec.render(operands, "" if node.param is None else _number(node.param), template)
            if i != root and (uses.get(i, 0) > 1 or len(expr) > 60):
                lines.append(f"    v{i} = {expr}")
                text[i], atomic[i] = f"v{i}", True
                created(i)
            else:
                text[i], atomic[i] = expr, template.startswith("{0}.")  # a method call binds tightest
                inlined[i] = i != root
        lines.append(f"    return {text[root]}")
        if self.nodes[root].op is not None:
            created(root)
        return lines, order

    def __str__(self) -> str:
        return self.source()

    def __repr__(self) -> str:
        """One line: the root's source when it is short, else the size and depth."""
        lines = self.source().splitlines()
        if len(lines) == 2 and len(lines[1]) <= 100:
            return f"<{lines[0][4:-1]} = {lines[1].strip()[7:]}>"
        return f"<expression of {self.size()} ops, depth {self.depth()}, {self.n_inputs} input(s)>"

    def _repr_pretty_(self, printer, cycle) -> None:  # hypothesis' pretty printer: the same short form
        printer.text(repr(self))

    # ----- JSON (the regression corpus, properties/corpus.py) -----

    def to_json(self) -> dict:
        """Plain data for JSON: ``{"n_inputs": N, "nodes": [...]}`` with each node one of
        ``{"input": k}``, ``{"const": x}``, ``{"op": name, "args": [i, ...], "param": p}`` (param
        only for ops that take one); every float as ``float.hex()`` text, so it reads back exactly."""
        nodes = []
        for n in self.nodes:
            if n.is_input:
                nodes.append({"input": n.input})
            elif n.op is None:
                nodes.append({"const": float(n.const).hex()})
            else:
                nodes.append({"op": n.op, "args": list(n.args)}
                             | ({} if n.param is None else {"param": float(n.param).hex()}))
        return {"n_inputs": self.n_inputs, "nodes": nodes}

    @classmethod
    def from_json(cls, data: Any) -> "Expression":
        """The inverse of :meth:`to_json`.  Validates everything (never evaluates any text):
        raises ValueError whose message starts with the offending field, e.g. ``nodes[2].args``."""
        if not isinstance(data, dict):
            raise ValueError(f": must be an object, got {type(data).__name__}")
        unknown = sorted(set(data) - {"n_inputs", "nodes"})
        if unknown:
            raise ValueError(f".{unknown[0]}: unknown field")
        n_inputs = data.get("n_inputs")
        if type(n_inputs) is not int or n_inputs < 1:
            raise ValueError(f".n_inputs: must be an integer >= 1, got {n_inputs!r}")
        raw = data.get("nodes")
        if not isinstance(raw, list) or not raw:
            raise ValueError(f".nodes: must be a non-empty list, got {raw!r}")
        nodes = []
        for i, item in enumerate(raw):
            where = f".nodes[{i}]"
            if not isinstance(item, dict):
                raise ValueError(f"{where}: must be an object, got {type(item).__name__}")
            unknown = sorted(set(item) - {"op", "args", "param", "input", "const"})
            if unknown:
                raise ValueError(f"{where}.{unknown[0]}: unknown field")
            op, args, param = item.get("op"), item.get("args") or [], item.get("param")
            k, const = item.get("input"), item.get("const")
            if sum(x is not None for x in (op, k, const)) != 1:
                raise ValueError(f"{where}: exactly one of op, input, const must be given")
            if op is None and (args or param is not None):
                raise ValueError(f"{where}.args: only an op node has args and a param")
            if op is not None:
                if not isinstance(op, str) or op not in REGISTRY:
                    raise ValueError(f"{where}.op: unknown op {op!r}")
                spec = REGISTRY[op]
                if not isinstance(args, list) or any(type(a) is not int for a in args):
                    raise ValueError(f"{where}.args: must be a list of node indices, got {args!r}")
                if len(args) != spec.arity:
                    raise ValueError(f"{where}.args: op {op!r} takes {spec.arity} operand(s), got {len(args)}")
                if any(not 0 <= a < i for a in args):
                    raise ValueError(f"{where}.args: {args} must refer to earlier nodes")
                if spec.has_param != (param is not None):
                    raise ValueError(f"{where}.param: op {op!r} {'needs' if spec.has_param else 'takes no'} param")
                nodes.append(Node(op=op, args=tuple(args),
                                  param=None if param is None else hex_float(param, f"{where}.param")))
            elif k is not None:
                if type(k) is not int or not 0 <= k < n_inputs:
                    raise ValueError(f"{where}.input: must be an integer in [0, {n_inputs}), got {k!r}")
                nodes.append(Node(input=k))
            else:
                nodes.append(Node(const=hex_float(const, f"{where}.const")))
        return cls(n_inputs, tuple(nodes))


@dataclass(frozen=True, repr=False)
class Case:
    """An expression and the inputs it is evaluated at."""

    expression: "Expression | Function"
    inputs: tuple[float, ...]

    def __str__(self) -> str:
        args = ", ".join(f"x{k}={x!r}" for k, x in enumerate(self.inputs))
        return f"{self.expression.source()}\n# at {args}"

    def __repr__(self) -> str:
        """Short: hypothesis prints it as the falsifying example (the report has the source)."""
        inputs = self.inputs if len(self.inputs) <= 6 else f"({len(self.inputs)} inputs)"
        return f"Case({self.expression!r}, inputs={inputs!r})"

    def _repr_pretty_(self, printer, cycle) -> None:  # hypothesis' pretty printer: the same short form
        printer.text(repr(self))


_HEX_FLOAT = re.compile(r"[-+]?(0x[0-9a-f]+(\.[0-9a-f]*)?p[-+]?[0-9]+|inf|nan)", re.IGNORECASE)


def hex_float(text: Any, field: str = "") -> float:
    """A float from ``float.hex()`` text (only that: ``"1.5"`` would silently mean 0x1.5)."""
    if not isinstance(text, str) or not _HEX_FLOAT.fullmatch(text):
        raise ValueError(f"{field}: must be a float.hex() string like '0x1.8p+1', got {text!r}")
    return float.fromhex(text)


def _number(x: float) -> str:
    """A float literal that reads back exactly (negative ones parenthesised)."""
    r = repr(float(x))
    return f"({r})" if r.startswith("-") else r


@dataclass(frozen=True)
class Function:
    """Any Python function of scalars built with ``apply(op, *operands)`` (like the suite's
    softmax, :mod:`reference.functions`), with the source text that reports print.  Quacks like
    :class:`Expression` for the checks: it runs on an engine with that engine's own spelling of
    each op, on torch and in mpmath, and :func:`trace` turns it into an Expression."""

    fn: Any  # fn(*inputs, apply=..., number=...) -> scalar; number(x) reads the float a scalar holds
    n_inputs: int
    text: str  # Python source defining ``f``, with plain operators and methods

    def __call__(self, *inputs: Any) -> Any:
        return self.fn(*inputs, apply=dispatch({}), number=number_of)

    def on_torch(self, *inputs: Any) -> Any:
        return self.fn(*inputs, apply=dispatch({n: s.torch_call for n, s in REGISTRY.items() if s.torch_call}),
                       number=number_of)

    def run(self, inputs: Sequence[Any], calls: Mapping[str, Callable] | None = None,
            lift: Callable | None = None, number: Callable | None = None) -> Any:
        """Like :meth:`Expression.run` (a Function has no constant nodes to lift); ``number`` reads
        the float an engine's value holds."""
        return self.fn(*inputs, apply=dispatch(calls or {}, lift), number=number or number_of)

    def source(self, name: str = "f", templates: Mapping[str, str] | None = None, constant: Any = None) -> str:
        return respell(self.text, templates or {})


def respell(text: str, templates: Mapping[str, str]) -> str:
    """Source text with an engine's own method names: ``x.exp()`` -> ``x.my_exp()`` (operators stay)."""
    for op, template in templates.items():
        method = method_in(template)
        if method is not None and REGISTRY[op].source.startswith("{0}."):
            text = text.replace(f".{REGISTRY[op].method}(", f".{method}(")
    return text


def number_of(x: Any) -> float:
    """The float a scalar holds: ``.data`` of a micrograd-style value, a tensor or an mpmath scalar."""
    return float(getattr(x, "data", x))


def dispatch(calls: Mapping[str, Callable], lift: Callable | None = None) -> Callable[..., Any]:
    """``apply(op, *operands)`` through ``calls`` (else the registry's call), with the plain-number
    operands of a binary op made values by ``lift`` where it is given."""

    def apply(op: str, *operands: Any) -> Any:
        spec = REGISTRY[op]
        if lift is not None and spec.arity == 2:
            operands = tuple(lift(o) if isinstance(o, (int, float)) else o for o in operands[:2]) + operands[2:]
        return (calls.get(op) or spec.call)(*operands)

    return apply


def trace(fn: Callable, inputs: Sequence[float]) -> Expression:
    """The :class:`Expression` that ``fn`` computes at ``inputs``: ``fn`` runs once on the mpmath
    backend, whose scalars record every op, and the record becomes the nodes.  Data-dependent
    choices (the max that softmax subtracts) are those made at ``inputs``."""
    from reference.error_bounds import topological_order
    from reference.mp_backend import MPScalar, mp_value

    root, leaves = mp_value(fn, inputs)
    index = {id(leaf): k for k, leaf in enumerate(leaves)}
    nodes = [Node(input=k) for k in range(len(leaves))]
    for node in topological_order(root):  # operands before the ops that use them
        if id(node) in index:
            continue
        if node.spec is None:  # a constant the function made a scalar of
            index[id(node)] = len(nodes)
            nodes.append(Node(const=float(node.value)))
            continue
        args = []
        for operand in node.operands:
            if isinstance(operand, MPScalar):
                args.append(index[id(operand)])
            else:
                nodes.append(Node(const=float(operand)))
                args.append(len(nodes) - 1)
        index[id(node)] = len(nodes)
        nodes.append(Node(op=node.spec.name, args=tuple(args), param=node.param))
    if id(root) in index and index[id(root)] < len(leaves):  # the function returned an input itself
        raise ValueError("the function returns one of its inputs: there is no op to trace")
    return Expression(len(leaves), tuple(nodes))
