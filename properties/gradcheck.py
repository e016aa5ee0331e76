"""Check a hand-derived gradient formula (the seed notebook's first exercise).

The seed checks its ``gradf`` at one point, (2, 3, 4), where a wrong formula
(``cos(3*b)*b`` instead of ``3*cos(3*b)``) happens to give the right number
because b = 3.  Here hypothesis draws the inputs from declared domains and
compares the claim with the mpmath central-difference gradient everywhere::

    from properties.gradcheck import check_gradient_formula
    from reference.domains import Domain

    def f(a, b, c):  # written with operators and methods, so it runs on mpmath
        return -a**3 + (b*3).sin() - 1.0/c + b**2.5 - a**0.5

    def gradf(a, b, c):  # plain floats
        return [-3*a**2 - 0.5*a**-0.5, 3*math.cos(3*b) + 2.5*b**1.5, c**-2]

    check_gradient_formula(f, gradf, [Domain(0.1, 10), Domain(0.1, 10), Domain(0.5, 10)])

A wrong claim raises :class:`GradientFormulaMismatch` with the shrunk input,
the claimed and true gradients, the error and the allowed error, and a
snippet that reproduces it.
"""

from __future__ import annotations

from typing import Callable, Sequence

from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from properties.values import floats_in
from reference.domains import Domain
from reference.error_bounds import IllConditioned, error_bounds
from reference.mp_backend import DEFAULT_DPS, OutOfDomain, mp_gradient, mp_value

# A hand formula is arranged differently from autodiff through f, so it may round
# differently: allow it a few times what a correct engine is allowed for f's gradient.
FORMULA_SAFETY = 8.0


class GradientFormulaMismatch(AssertionError):
    """A claimed gradient formula disagrees with the mpmath gradient."""


def check_gradient_formula(
    f: Callable,
    gradient: Callable[..., Sequence[float]],
    domains: Sequence[Domain],
    *,
    max_examples: int = 200,
    dps: int = DEFAULT_DPS,
    shrink: bool = True,
) -> None:
    """Compare ``gradient(*xs)`` with the mpmath gradient of ``f`` at inputs drawn from ``domains``.

    ``f`` must be written with operators and methods (``(b * 3).sin()``, not
    ``math.sin(3 * b)``) so that it runs on the mpmath backend; ``gradient``
    takes and returns plain floats.  ``shrink=False`` reports the first failing
    input as found, without searching for a simpler one (faster).
    """
    if not domains or not all(isinstance(d, Domain) for d in domains):
        raise TypeError("domains must be a non-empty sequence of reference.domains.Domain, one per input")
    if max_examples < 1:
        raise ValueError(f"max_examples must be >= 1, got {max_examples}")

    phases = [Phase.explicit, Phase.generate] + ([Phase.shrink] if shrink else [])

    @settings(max_examples=max_examples, deadline=None, database=None, phases=phases)
    @given(st.tuples(*(floats_in(d) for d in domains)))
    def formula_matches(inputs: tuple[float, ...]) -> None:
        try:
            bounds = error_bounds(*mp_value(f, inputs, dps))
            truth = mp_gradient(f, inputs, dps, expected=bounds.adjoints)
        except (IllConditioned, OutOfDomain):
            return  # no meaningful comparison at this point (a kink or pole within rounding)
        claimed = [float(g) for g in gradient(*inputs)]
        if len(claimed) != len(inputs):
            raise GradientFormulaMismatch(f"the formula returned {len(claimed)} partials for {len(inputs)} inputs")
        for k, (mine, exact) in enumerate(zip(claimed, truth.gradient)):
            if truth.kink[k]:
                continue
            allowed = FORMULA_SAFETY * bounds.gradient[k] + 2 * float(truth.gradient_error[k])
            if not abs(mine - float(exact)) <= allowed:
                raise GradientFormulaMismatch(_report(f, gradient, inputs, claimed, truth.gradient, k, allowed))

    formula_matches()


def _report(f, gradient, inputs, claimed, exact, k, allowed) -> str:
    name = getattr(gradient, "__name__", "gradient")
    args = ", ".join(repr(x) for x in inputs)
    lines = [
        f"hand-derived gradient FAILED: partial {k} of {name} is wrong at ({args})",
        "",
        f"{'':6} {'claimed':>24} {'mpmath':>24} {'|error|':>10} {'allowed':>10}",
    ]
    for i, (mine, true) in enumerate(zip(claimed, exact)):
        mark = "  <-- FAILED" if i == k else ""
        lines.append(f"d/dx{i} {mine!r:>24} {float(true)!r:>24} {abs(mine - float(true)):>10.2e} "
                     f"{allowed if i == k else float('nan'):>10.2e}{mark}")
    lines += [
        "",
        "Reproducer:",
        f"    print({name}({args}))",
        f"    # mpmath: {[float(g) for g in exact]!r}",
    ]
    return "\n".join(lines)
