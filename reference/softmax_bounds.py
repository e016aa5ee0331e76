"""How far a correct float64 engine's softmax, log-softmax and cross-entropy may be from the
truth, and the truth itself (mpmath): the bound model behind properties/test_softmax.py.

The functions are :mod:`reference.functions`'s, computed with the shift by the largest logit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mpmath.ctx_mp import MPContext

from reference.domains import SMALLEST_SUBNORMAL, UNIT_ROUNDOFF
from reference.ops import TRANSCENDENTAL_ULPS

# ----- error bounds --------------------------------------------------------------------------
#
# The engine computes, for logits x and m = max x (a float read from the data):
#   z_i = x_i - m;  e_i = exp(z_i);  s = e_1 + ... + e_n (in some order);
#   p_i = e_i / s;  log p_i = z_i - log s;  loss = log s - z_t.
# A correct float64 engine rounds each op within the registry's allowance: + and - by u
# (= 2**-53) relative, / by 2u (a * (1/b) is allowed), exp and log by T = 4 ulps, and any
# result among the subnormals by a few eta (= 2**-1074) absolute.  Carried through, first order:
#   z_i   is off by  u |x_i - m|                       (x_i - m rounds; m itself is exact)
#   e_i   relative   rho_i = u |x_i - m| + T u          (exp turns an absolute error into a relative one)
#   s     relative   sigma = sum_i p_i rho_i + gamma(n-1) + n T eta  (positive terms; s >= 1)
#   log s absolute   sigma + T u log s
#   p_i   absolute   p_i (rho_i + sigma + 2u) + (T + 1) eta
#   log p_i, loss    u |x_i - m| + sigma + T u log s + u |log p_i| + eta  (the last subtraction rounds)
# Backward, the local derivatives are within the registry's derivative allowance (T ulps for
# exp, log and /, exact for + and -) at the computed operands, each product upstream * local
# rounds by u, each sum of two uses by u; a multiplication by the exact derivative 1 of + and -
# is exact.  For the loss: a_s = 1/s off by sigma + 5u, times exp's local e_i (rho_i) rounded:
#   d loss / d x_i = p_i - [i = t],  off by  p_i (sigma + rho_i + 6u) + 5 eta + [i = t] u (1 + p_t)
# For p_j = e_j / s: d/de_j = 1/s (sigma + 5u), d/ds = -e_j/s^2 (rho_j + 2 sigma + 5u), summed
# on e_j (u), times e_i (rho_i + u):
#   d p_j / d x_i = p_j ([i = j] - p_i),  off by  p_i p_j (rho_i + rho_j + 2 sigma + 6u) + 6 eta (i != j)
#   and p_j (sigma + 5u + p_j (rho_j + 2 sigma + 5u) + u (1 + p_j)) + p_j (1 - p_j)(rho_j + u) + 6 eta (i = j)
# The magnitudes (p_i, |x_i - m|, log s) come from a float64 evaluation in the test (math.exp,
# math.fsum), accurate to a few u relative: a second-order change to the bounds.
#
# torch.nn.functional may associate differently: log_softmax as x - (m + log s) (one more
# rounding, of u (|m| + log s)), softmax as exp(log_softmax), cross-entropy's gradient as
# exp(log_softmax) - onehot (rounded by u), softmax's backward as p_i ([i = j] - p_j).  Its bounds
# (torch_*) are the largest over those forms.

U = UNIT_ROUNDOFF
ETA = SMALLEST_SUBNORMAL  # eta: the absolute error of a result among the subnormals
T = TRANSCENDENTAL_ULPS  # exp and log: ulps of their result and of their derivative
DIV = 2.0  # ulps of a / b (or a * (1/b))


def gamma(k: int) -> float:
    """The relative error of a sum of k + 1 nonnegative floats, in any order: k u / (1 - k u)."""
    return k * U / (1 - k * U)


@dataclass(frozen=True)
class Point:
    """Logits and, in float64, the magnitudes the bounds are made of."""

    x: tuple[float, ...]
    m: float  # max x: the engine's shift
    d: tuple[float, ...]  # |x_i - m|
    p: tuple[float, ...]  # softmax
    ell: float  # log sum_j exp(x_j - m), in [0, log n]
    lp: tuple[float, ...]  # log softmax

    @property
    def n(self) -> int:
        return len(self.x)

    def rho(self, i: int) -> float:
        """The relative error of e_i = exp(x_i - m)."""
        return U * self.d[i] + T * U

    def sigma(self) -> float:
        """The relative error of s."""
        return math.fsum(p * self.rho(i) for i, p in enumerate(self.p)) + gamma(self.n - 1) + self.n * T * ETA

    # ----- this project's functions, on any correct engine -----

    def softmax(self) -> list[float]:
        sigma = self.sigma()
        return [p * (self.rho(i) + sigma + DIV * U) + (T + 1) * ETA for i, p in enumerate(self.p)]

    def log_softmax(self) -> list[float]:
        sigma = self.sigma()
        return [U * self.d[i] + sigma + T * U * self.ell + U * abs(lp) + ETA for i, lp in enumerate(self.lp)]

    def loss(self, t: int) -> float:
        return self.log_softmax()[t]  # loss = -log p_t, computed as log s - z_t: the same roundings

    def loss_gradient(self, t: int) -> list[float]:
        sigma = self.sigma()
        return [p * (sigma + self.rho(i) + 6 * U) + 5 * ETA + (U * (1 + p) if i == t else 0.0)
                for i, p in enumerate(self.p)]

    def component_gradient(self, j: int) -> list[float]:
        sigma, pj, rj = self.sigma(), self.p[j], self.rho(j)
        own = pj * (sigma + 5 * U + pj * (rj + 2 * sigma + 5 * U) + U * (1 + pj)) + pj * (1 - pj) * (rj + U)
        return [own + 6 * ETA if i == j else p * pj * (self.rho(i) + rj + 2 * sigma + 6 * U) + 6 * ETA
                for i, p in enumerate(self.p)]

    # ----- torch.nn.functional (any of the associations above) -----

    def torch_log_softmax(self) -> list[float]:
        return [b + U * (abs(self.m) + self.ell) for b in self.log_softmax()]

    def torch_softmax(self) -> list[float]:
        via_log = [p * (b + T * U) + (T + 1) * ETA for p, b in zip(self.p, self.torch_log_softmax())]
        return [max(a, b) for a, b in zip(self.softmax(), via_log)]

    def torch_loss_gradient(self, t: int) -> list[float]:
        via_log = [p * (b + T * U) + (T + 1) * ETA for p, b in zip(self.p, self.torch_log_softmax())]
        bp = self.torch_softmax()
        return [max(a, b) + U * abs(p - (i == t)) for i, (p, a, b) in enumerate(zip(self.p, via_log, bp))]

    def torch_component_gradient(self, j: int) -> list[float]:
        bp, pj = self.torch_softmax(), self.p[j]
        own = (1 - pj) * bp[j] + pj * (bp[j] + U * (1 - pj)) + U * pj * (1 - pj) + ETA
        return [own if i == j else p * bp[j] + pj * bp[i] + U * p * pj + ETA for i, p in enumerate(self.p)]

    # ----- the seed's naive softmax -----

    def naive_softmax(self) -> list[float] | None:
        """exp(x_i) rounds by T u relative and T eta absolute (the leaves are exact: no shift error);
        the sum S by gamma(n-1) plus the eta of its terms, relative to S; the division by 2u.
        None where S is so small (subnormal) that the sum's relative error leaves first order."""
        log_s = self.m + self.ell  # log S, S = sum_j exp(x_j)
        if log_s < -700.0:
            return None
        under = T * ETA * math.exp(-log_s)  # eta relative to S
        r = T * U + gamma(self.n - 1) + self.n * under
        if r > 1e-3:
            return None
        return [p * (T * U + r + DIV * U) + under + ETA for p in self.p]


def point(logits: list[float]) -> Point:
    m = max(logits)
    d = [m - x for x in logits]
    s = math.fsum(math.exp(-v) for v in d)
    ell = math.log(s)
    return Point(tuple(logits), m, tuple(d), tuple(math.exp(-v) / s for v in d), ell, tuple(-v - ell for v in d))


# ----- the truth, in mpmath ------------------------------------------------------------------

_MP = MPContext()
_MP.dps = 40


@dataclass(frozen=True)
class Exact:
    p: list  # softmax, mpf
    lp: list  # log softmax, mpf

    def loss_gradient(self, t: int) -> list:
        """p_i - [i = t], with p_t - 1 = -(sum of the others) so that no digit cancels."""
        return [p if i != t else -_MP.fsum(self.p[:t] + self.p[t + 1:]) for i, p in enumerate(self.p)]

    def component_gradient(self, j: int) -> list:
        pj = self.p[j]
        return [pj * _MP.fsum(self.p[:j] + self.p[j + 1:]) if i == j else -pj * p for i, p in enumerate(self.p)]


def exact(logits: list[float]) -> Exact:
    z = [_MP.mpf(x) - max(logits) for x in logits]
    log_s = _MP.log(_MP.fsum(_MP.exp(v) for v in z))
    return Exact([_MP.exp(v - log_s) for v in z], [v - log_s for v in z])
