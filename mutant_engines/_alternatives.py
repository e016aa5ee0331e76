"""The checks people usually write instead of this suite, run on the same mutants for comparison.

``fixed_points``: the checks that ship with micrograd and the seed notebook.  micrograd's
``test/test_engine.py`` (two fixed expressions, value and gradients against torch, within
1e-6) and the seed's two checks (``f(a, b, c)`` at (2, 3, 4) and the softmax / negative
log likelihood at logits (0, 3, -2, 1), gradients within 1e-5 of the known answers).

``per_op_gradcheck``: ``torch.autograd.gradcheck``'s recipe applied to every op alone, as a
contributor adding ops would write it: each op at ``POINTS`` random inputs (standard normal,
moved into the op's domain, away from its kinks), each param in the registry's
``edge_params``, the engine's gradient against a central difference of the engine's own
forward with gradcheck's defaults (eps 1e-6, atol 1e-5, rtol 1e-3).

Each returns ``None`` when the engine passes, else a one-line reason.  An exception raised
by the engine counts as caught: that check would have gone red.
"""

from __future__ import annotations

import random
from typing import Callable

EPS, ATOL, RTOL = 1e-6, 1e-5, 1e-3  # torch.autograd.gradcheck's defaults
POINTS = 10


def verdicts(engine: str) -> tuple[str | None, str | None]:
    """``fixed_points`` and ``per_op_gradcheck`` on the engine MODULE:ATTR (its registry ops)."""
    from properties.core.engine_under_test import load_engine

    loaded = load_engine(engine)
    return fixed_points(loaded.value_type), per_op_gradcheck(loaded.value_type, loaded.ops)


def fixed_points(Value: type) -> str | None:
    """micrograd's two tests and the seed notebook's two checks; ``None`` if all pass."""
    for check in (_micrograd_sanity_check, _micrograd_more_ops, _seed_gradf, _seed_nll):
        try:
            reason = check(Value)
        except Exception as error:  # noqa: BLE001 - an engine error is a red check
            reason = f"raised {type(error).__name__}: {error}"
        if reason is not None:
            return f"{check.__name__.lstrip('_')}: {reason}"
    return None


def per_op_gradcheck(Value: type, ops: list[str]) -> str | None:
    """gradcheck's comparison for each op in ``ops`` (registry names); ``None`` if all pass."""
    from reference.ops import REGISTRY

    rng = random.Random(0)
    for name in ops:
        spec = REGISTRY[name]
        for param in (spec.edge_params or (1.5,)) if spec.has_param else (None,):
            for _ in range(POINTS):
                point = _point(rng, spec, param)
                if point is None:
                    continue
                try:
                    reason = _gradcheck(Value, spec, point, param)
                except Exception as error:  # noqa: BLE001
                    reason = f"raised {type(error).__name__}: {error}"
                if reason is not None:
                    return f"{name}{'' if param is None else f' (param {param})'} at {point}: {reason}"
    return None


# ----- fixed points --------------------------------------------------------------------


def _close(name: str, got: float, want: float, tol: float) -> str | None:
    return None if abs(got - want) < tol else f"{name} = {got!r}, expected {want!r}"


def _first(*results: str | None) -> str | None:
    return next((r for r in results if r is not None), None)


def _micrograd_sanity_check(Value: type) -> str | None:
    import torch

    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    xt = torch.tensor([-4.0], dtype=torch.double, requires_grad=True)
    zt = 2 * xt + 2 + xt
    qt = zt.relu() + zt * xt
    ht = (zt * zt).relu()
    yt = ht + qt + qt * xt
    yt.backward()
    return _first(_close("y", y.data, yt.item(), 1e-6), _close("dy/dx", x.grad, xt.grad.item(), 1e-6))


def _micrograd_more_ops(Value: type) -> str | None:
    import torch

    def run(a, b):
        c = a + b
        d = a * b + b**3
        c = c + c + 1
        c = c + 1 + c + (-a)
        d = d + d * 2 + (b + a).relu()
        d = d + 3 * d + (b - a).relu()
        e = c - d
        f = e**2
        g = f / 2.0
        g = g + 10.0 / f
        return g

    a, b = Value(-4.0), Value(2.0)
    g = run(a, b)
    g.backward()
    at = torch.tensor([-4.0], dtype=torch.double, requires_grad=True)
    bt = torch.tensor([2.0], dtype=torch.double, requires_grad=True)
    gt = run(at, bt)
    gt.backward()
    return _first(_close("g", g.data, gt.item(), 1e-6), _close("dg/da", a.grad, at.grad.item(), 1e-6),
                  _close("dg/db", b.grad, bt.grad.item(), 1e-6))


def _seed_gradf(Value: type) -> str | None:
    a, b, c = Value(2.0), Value(3.0), Value(4.0)
    f = -a**3 + (3 * b).sin() - 1.0 / c + b**2.5 - a**0.5
    f.backward()
    want = [-12.353553390593273, 10.25699027111255, 0.0625]
    return _first(*(_close(f"df/d{n}", v.grad, w, 1e-5) for n, v, w in zip("abc", (a, b, c), want)))


def _seed_nll(Value: type) -> str | None:
    logits = [Value(0.0), Value(3.0), Value(-2.0), Value(1.0)]
    counts = [logit.exp() for logit in logits]
    denominator = sum(counts)
    probs = [c / denominator for c in counts]
    loss = -probs[3].log()
    loss.backward()
    want = [0.041772570515350445, 0.8390245074625319, 0.005653302662216329, -0.8864503806400986]
    return _first(*(_close(f"dloss/dlogit{i}", v.grad, w, 1e-5) for i, (v, w) in enumerate(zip(logits, want))))


# ----- per-op gradcheck -------------------------------------------------------------------


def _point(rng: random.Random, spec, param) -> tuple[float, ...] | None:
    """Standard normal operands moved into the op's domain, at least 1e-3 from a kink or pole."""
    domains = spec.operand_domains(param)
    singular = spec.singular_points(param)
    for _ in range(100):
        point = tuple(domain.clip(rng.gauss(0.0, 1.0)) for domain in domains)
        if all(domain.contains(x) for domain, x in zip(domains, point)) and all(
                abs(x - s) > 1e-3 for x, kinks in zip(point, singular) for s in kinks):
            return point
    return None


def _gradcheck(Value: type, spec, point: tuple[float, ...], param) -> str | None:
    call: Callable = spec.call if param is None else (lambda *xs: spec.call(*xs, param))
    leaves = [Value(x) for x in point]
    out = call(*leaves)
    out.backward()
    for i, leaf in enumerate(leaves):
        def forward(xi, i=i):
            return call(*[Value(xi if j == i else x) for j, x in enumerate(point)]).data

        numeric = (forward(point[i] + EPS) - forward(point[i] - EPS)) / (2 * EPS)
        if not abs(leaf.grad - numeric) <= ATOL + RTOL * abs(numeric):
            return f"d/dx{i}: analytic {leaf.grad!r}, numeric {numeric!r}"
    return None
