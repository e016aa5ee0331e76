"""How the suite reaches an engine's values, whatever the engine calls things.

Every engine makes a value from a float, keeps a number and a gradient on it, and runs backward
from a result; they differ in the names.  micrograd has ``Value(x)``, ``.data``, ``.grad`` and
``.backward()``; others keep ``.value`` and ``.gradient`` and run ``backprop()``; MiniTorch keeps
``.derivative``, None until backward reaches the node, and its ``backward(d_output=None)`` takes
an optional seed; a tensor engine keeps a 0-d array.  An :class:`Adapter` is those few things:

    class MyAdapter(Adapter):                   # pass it with --adapter mymod:MyAdapter
        value_type = MyTensor                   # the class whose methods are the engine's ops
        def leaf(self, x): return MyTensor(np.array(x))
        def number(self, v): return float(v.item())
        def gradient(self, v): return 0.0 if v.grad is None else float(v.grad.item())
        def backward(self, v): v.backward()
        def constant(self, c): return MyTensor(np.array(c))   # only for engines without number operands

:func:`detect` finds the common spellings by probing a tiny graph (``a * b + a``, then backward),
and says what it found (:meth:`Adapter.describe`); options override it (``--value-attr``,
``--grad-attr``, ``--backward``).  Reproducers spell each step as the engine's users write it.
"""

from __future__ import annotations

from typing import Any, Callable

VALUES = ("data", "value", "val", "item()", "float(x)")  # where engines keep a value's number
GRADIENTS = ("grad", "gradient", "derivative")  # and its gradient
BACKWARDS = ("backward", "backwards", "backprop")  # how they run backward (an optional seed argument)
PROBE = (1.5, -2.0)  # a * b + a at these: d/da = b + 1 = -1, d/db = a = 1.5, the intermediate a * b gets 1
# the graphs probed, each with its expected leaf gradients: a * b + a, or (a + b) + a for an engine without *
GRAPHS = ((lambda a, b: a * b, (PROBE[1] + 1.0, PROBE[0])), (lambda a, b: a + b, (2.0, 1.0)))


class Adapter:
    """An engine's values, reached through a few methods (the defaults are micrograd's)."""

    value_type: type = object  # the class whose methods are the engine's ops
    numbers: bool = True  # do the ops take plain numbers as operands (x + 3.0)?
    keeps_intermediate: bool = True  # does backward leave a gradient on intermediate nodes, not only on leaves?

    def leaf(self, x: float) -> Any:
        """A value of the engine holding ``x`` (a leaf of the graph)."""
        return self.value_type(x)

    def number(self, value: Any) -> float:
        return float(value.data)

    def gradient(self, value: Any) -> float:
        """The gradient backward left on ``value`` (0.0 where it left none)."""
        g = value.grad
        return 0.0 if g is None else float(g)

    def backward(self, value: Any) -> None:
        value.backward()

    def constant(self, c: float) -> Any:
        """A plain-number operand as the engine takes it: the number itself, or a leaf."""
        return c if self.numbers else self.leaf(c)

    def is_value(self, obj: Any) -> bool:
        """Is ``obj`` a value of the engine (an op's result), not a plain number?"""
        return isinstance(obj, self.value_type) or (not isinstance(obj, (int, float)) and _readable(self, obj))

    # ----- the same steps as source, for reproducers -----

    def import_lines(self) -> list[str]:
        """Lines a reproducer needs besides the engine's own import (a custom adapter's)."""
        cls = type(self)
        return [f"from {cls.__module__} import {cls.__qualname__} as Adapter", "adapter = Adapter()"]

    def leaf_source(self, literal: str) -> str:
        return f"adapter.leaf({literal})"

    def number_source(self, name: str) -> str:
        return f"adapter.number({name})"

    def gradient_source(self, name: str) -> str:
        return f"adapter.gradient({name})"

    def backward_source(self, name: str) -> str:
        return f"adapter.backward({name})"

    def describe(self) -> str:
        cls = type(self)
        return f"through the adapter {cls.__module__}.{cls.__qualname__}"


def _readable(adapter: Adapter, obj: Any) -> bool:
    try:
        adapter.number(obj)
        return True
    except Exception:
        return False


class Attributes(Adapter):
    """An engine whose values keep their number and gradient under names (``.data``, ``.value``,
    ``item()``, ``float(x)``; ``.grad``, ``.gradient``, ``.derivative``) and run backward through a
    method (``backward()``, ``backprop()``; with a seed of 1.0 where it needs one)."""

    def __init__(self, value_type: type, *, value: str = "data", grad: str = "grad", backward: str = "backward",
                 seed: bool = False, numbers: bool = True, keeps_intermediate: bool = True) -> None:
        self.value_type, self.value, self.grad, self.backward_name = value_type, value, grad, backward
        self.seed, self.numbers, self.keeps_intermediate = seed, numbers, keeps_intermediate

    def number(self, value: Any) -> float:
        return float(_read(value, self.value))

    def gradient(self, value: Any) -> float:
        return _as_float(getattr(value, self.grad))

    def backward(self, value: Any) -> None:
        method = getattr(value, self.backward_name)
        method(1.0) if self.seed else method()

    def is_value(self, obj: Any) -> bool:
        return isinstance(obj, self.value_type) or (
            hasattr(obj, self.grad) and callable(getattr(obj, self.backward_name, None)) and _readable(self, obj))

    def import_lines(self) -> list[str]:
        return []

    def leaf_source(self, literal: str) -> str:
        return f"Value({literal})"

    def number_source(self, name: str) -> str:
        return f"float({name})" if self.value == "float(x)" else f"{name}.{self.value}"

    def gradient_source(self, name: str) -> str:
        return f"{name}.{self.grad}"

    def backward_source(self, name: str) -> str:
        return f"{name}.{self.backward_name}({'1.0' if self.seed else ''})"

    def describe(self) -> str:
        parts = [f"value {_spelled(self.value)}", f"gradient .{self.grad}",
                 f"backward .{self.backward_name}({'1.0' if self.seed else ''})"]
        if not self.numbers:
            parts.append("constants lifted to leaves (the ops take no plain numbers)")
        if not self.keeps_intermediate:
            parts.append("gradients on leaves only")
        return ", ".join(parts)


def _read(value: Any, spelling: str) -> Any:
    if spelling == "float(x)":
        return value
    if spelling.endswith("()"):
        return getattr(value, spelling[:-2])()
    return getattr(value, spelling)


class MiniTorch(Attributes):
    """MiniTorch's ``Scalar``: ``.data``, ``.derivative`` (None until backward reaches a leaf; none
    on intermediate nodes), ``backward(d_output=None)``."""

    def __init__(self, value_type: type) -> None:
        super().__init__(value_type, value="data", grad="derivative", backward="backward", keeps_intermediate=False)


class ZeroDimTensor(Adapter):
    """A tensor engine checked on 0-d tensors: ``Tensor(x)``, ``.item()``, ``.grad`` a 0-d tensor or
    array (None until backward reaches it), ``backward()`` from a 0-d result."""

    def __init__(self, value_type: type, *, make: Callable[[float], Any] | None = None) -> None:
        self.value_type, self.make = value_type, make

    def leaf(self, x: float) -> Any:
        return self.make(x) if self.make is not None else self.value_type(x)

    def number(self, value: Any) -> float:
        return float(value.item())

    def gradient(self, value: Any) -> float:
        return _as_float(value.grad)

    def import_lines(self) -> list[str]:
        return []

    def leaf_source(self, literal: str) -> str:
        return f"Value({literal})"

    def number_source(self, name: str) -> str:
        return f"{name}.item()"

    def gradient_source(self, name: str) -> str:
        return f"{name}.grad.item()"

    def backward_source(self, name: str) -> str:
        return f"{name}.backward()"

    def describe(self) -> str:
        return "a 0-d tensor: value .item(), gradient .grad.item(), backward .backward()"


# ----- detection ----------------------------------------------------------------------------


class ShapeError(ValueError):
    """Nothing the suite knows fits the engine; the message names what was tried."""


def detect(value_type: type, *, value: str | None = None, grad: str | None = None,
           backward: str | None = None) -> Attributes:
    """The spellings of ``value_type``'s engine, found on ``a * b + a`` and its backward (``value``,
    ``grad``, ``backward`` fix one instead of trying each).  The probe finds names, it does not judge:
    the spellings that give the right numbers are preferred, but an engine whose backward is wrong
    is still reached (the properties say what is wrong), as long as the names exist."""
    name = getattr(value_type, "__qualname__", repr(value_type))
    try:
        a = value_type(PROBE[0])
    except Exception as error:
        raise ShapeError(f"{name}({PROBE[0]}) raised {type(error).__name__}: {error}") from None
    if value and not value.endswith("()") and value != "float(x)" and callable(getattr(a, value, None)):
        value += "()"
    values = [value] if value else list(VALUES)
    readable = [v for v in values if _reads(a, v) is not None]
    found_value = next((v for v in readable if _reads(a, v) == PROBE[0]), readable[0] if readable else None)
    if found_value is None:
        held = ", ".join(f".{k} ({type(v).__name__})" for k, v in sorted(_attributes(a).items())[:8]) or "none"
        raise ShapeError(f"{name}: no number found on {name}({PROBE[0]}): tried " + ", ".join(_spelled(v) for v in values)
                         + f"; its attributes: {held} (pass --value-attr NAME, or an adapter: --adapter MODULE:CLASS)")
    grads = [grad] if grad else list(GRADIENTS)
    backwards = [backward] if backward else list(BACKWARDS)
    fits, tried = [], []  # (right numbers?, backward, seed, grad, keeps intermediate)
    graph = next((g for g in GRAPHS if _probe_graph(value_type, g[0])[1] is not None), GRAPHS[0])
    for name_b in backwards:
        for seed in (False, True):
            leaves, out = _probe_graph(value_type, graph[0])
            method = getattr(out, name_b, None)
            if not callable(method):
                continue
            try:
                method(1.0) if seed else method()
            except Exception as error:
                tried.append(f".{name_b}({'1.0' if seed else ''}) raised {type(error).__name__}: {error}")
                continue
            for name_g in grads:
                got = [_gradient(leaf, name_g) for leaf in leaves]
                if None in got[:2] or not all(hasattr(leaf, name_g) for leaf in leaves[:2]):
                    tried.append(f".{name_b}({'1.0' if seed else ''}) then .{name_g}: not found")
                    continue
                keeps = getattr(leaves[2], name_g, None) is not None
                fits.append((got[:2] == list(graph[1]), name_b, seed, name_g, keeps))
    if fits:
        _, name_b, seed, name_g, keeps = max(fits, key=lambda f: f[0])  # right numbers first, else the first found
        return Attributes(value_type, value=found_value, grad=name_g, backward=name_b, seed=seed,
                          numbers=_takes_numbers(value_type), keeps_intermediate=keeps)
    raise ShapeError(
        f"{name}: no gradient found after backward on a * b + a at a = {PROBE[0]}, b = {PROBE[1]}: tried backward "
        "as " + ", ".join(f".{b}()" for b in backwards) + " (with and without a seed of 1.0), gradient as "
        + ", ".join(f".{g}" for g in grads) + (f"; {'; '.join(tried[:4])}" if tried else "")
        + " (pass --grad-attr NAME and --backward NAME, or an adapter: --adapter MODULE:CLASS)")


def _attributes(obj: Any) -> dict[str, Any]:
    """The public data attributes an instance holds (its __dict__ and __slots__)."""
    out = {k: v for k, v in getattr(obj, "__dict__", {}).items() if not k.startswith("_")}
    for cls in type(obj).__mro__:
        for k in getattr(cls, "__slots__", ()):
            if not k.startswith("_") and hasattr(obj, k):
                out.setdefault(k, getattr(obj, k))
    return out


def _spelled(v: str) -> str:
    """``.data``, ``.item()``, ``float(x)``: a value spelling as the header shows it."""
    return v if v == "float(x)" else f".{v}"


def _as_float(g: Any) -> float:
    """A gradient as a float: None (backward never reached it) is 0; a 0-d array or tensor its item."""
    if g is None:
        return 0.0
    if hasattr(g, "item") and not isinstance(g, float):
        g = g.item()
    return float(g)


def _reads(obj: Any, spelling: str) -> float | None:
    """The number ``obj`` holds under ``spelling``, or None where it holds none there."""
    try:
        x = _read(obj, spelling)
        return None if isinstance(x, bool) else float(x)
    except Exception:
        return None


def _gradient(obj: Any, name: str) -> float | None:
    try:
        return _as_float(getattr(obj, name))
    except Exception:
        return None


def _probe_graph(value_type: type, inner: Callable) -> tuple[list, Any]:
    """Leaves a, b, the intermediate ``inner(a, b)``, and the root ``inner(a, b) + a``."""
    try:
        a, b = value_type(PROBE[0]), value_type(PROBE[1])
        middle = inner(a, b)
        return [a, b, middle], middle + a
    except Exception:
        return [], None


def _takes_numbers(value_type: type) -> bool:
    try:
        x = value_type(PROBE[0])
        x * 2.0 + 1.0
        return True
    except Exception:
        return False
