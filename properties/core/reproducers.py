"""Reproducers: Python a user runs without gradproof to see a finding on their own engine.

One builder, :class:`Reproducer`, serves every report (an op alone, a small graph, two backward
calls on one leaf, a random expression, the storage, a deep chain, a missing operator): the
engine's import line, the leaves with their exact values, the computation, backward, then what
each result should be, printed and then asserted within its allowance.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from properties.core.engine_under_test import EngineUnderTest

DEEP = 5000  # the chain a recursion reproducer builds: far past Python's default limit of 1000


@dataclass
class Reproducer:
    engine: EngineUnderTest
    body: list[str] = field(default_factory=list)
    prints: list[str] = field(default_factory=list)
    asserts: list[str] = field(default_factory=list)

    def leaves(self, values, names=None) -> "Reproducer":
        """``x0 = Value(1.5)  # exact: 0x1.8p+0`` for each value (``names`` instead of x0, x1, ...)."""
        for k, x in enumerate(values):
            name = names[k] if names else f"x{k}"
            self.body.append(f"{name} = {self.engine.adapter.leaf_source(repr(x))}  # exact: {float(x).hex()}")
        return self

    def value(self, name: str) -> str:
        """Source that reads the number of the value named ``name`` (``out.data``)."""
        return self.engine.adapter.number_source(name)

    def grad(self, name: str) -> str:
        """Source that reads the gradient of the value named ``name`` (``x0.grad``)."""
        return self.engine.adapter.gradient_source(name)

    def backward(self, name: str) -> str:
        """Source that runs backward from the value named ``name`` (``out.backward()``)."""
        return self.engine.adapter.backward_source(name)

    def line(self, *lines: str) -> "Reproducer":
        self.body += [text for line in lines for text in line.splitlines() or [""]]
        return self

    def expect(self, label: str, expression: str, truth: float, allowed: float | None = None,
               note: str = "") -> "Reproducer":
        """Print ``expression`` beside its true value; assert it is within ``allowed`` of it
        (nothing is asserted without an allowance: a crash, or a value that cannot be judged)."""
        self.prints.append(f"print({label!r}, {expression}, 'true', {truth!r}){f'  # {note}' if note else ''}")
        if allowed is not None:
            self.asserts.append(f"assert abs({expression} - {truth!r}) <= {allowed!r}, {label!r}")
        return self

    def text(self) -> str:
        return "\n".join([self.engine.import_line, ""] + self.body + self.prints + self.asserts)


def one_op(engine: EngineUnderTest, operands, call: str, upstream: float | None = None) -> Reproducer:
    """``out = x0.tanh()`` (or ``out = (x0 * x1) * g`` below an upstream factor) on leaves, and backward."""
    r = Reproducer(engine).leaves(operands)
    if upstream is not None:
        r.line(f"g = {engine.adapter.leaf_source(repr(upstream))}  # an upstream factor: out = op * g",
               f"out = {engine.source_of('mul', f'({call})', 'g')}")
    else:
        r.line(f"out = {call}")
    return r.line(r.backward("out"))


def function(engine: EngineUnderTest, source: str, inputs) -> Reproducer:
    """``def f(...)`` from ``source``, called on leaves at ``inputs``, and backward."""
    r = Reproducer(engine)
    return r.line(source, "", f"inputs = {list(inputs)!r}  # exact: {[float(x).hex() for x in inputs]}",
                  f"leaves = [{engine.adapter.leaf_source('x')} for x in inputs]", "out = f(*leaves)", r.backward("out"))


def storage(engine: EngineUnderTest, x: float) -> str:
    r = Reproducer(engine)
    return r.line(f"print({r.value(engine.adapter.leaf_source(repr(x)))})  # expected {x!r}").text()


def recursion(engine: EngineUnderTest) -> str:
    """A chain deeper than Python's recursion limit: a recursive backward raises RecursionError."""
    r = Reproducer(engine)
    one = "1.0" if engine.adapter.numbers else engine.adapter.leaf_source("1.0")
    return r.line(f"x = {engine.adapter.leaf_source('0.5')}", "y = x", f"for _ in range({DEEP}):",
                  f"    y = {engine.source_of('mul', 'y', one)}", f"{r.backward('y')}  # RecursionError",
                  f"print({r.grad('x')})  # expected 1.0").text()


def operator(engine: EngineUnderTest, source: str, error: str) -> str:
    """An operator the engine lacks: ``2 - x`` raises."""
    return Reproducer(engine).line(f"x = {engine.adapter.leaf_source('1.5')}", f"print({source})  # raises {error}").text()
