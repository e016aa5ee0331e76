"""Random expression DAGs over every op the engine has, checked against mpmath and torch.

One property runs all three checks on each expression: generating an expression and
computing its mpmath oracles cost far more than the checks, so sharing them makes the
property about twice as fast as three separate ones, and a bug in a derivative is found
on the first expressions rather than after a whole run of forward-only examples. The
failure report names the check that failed.
"""

import pytest
from hypothesis import given

from properties.catalog import COMPOSITE

pytestmark = [
    pytest.mark.needs(),  # some registry op
    pytest.mark.op("*"),  # every op: kept by --op, which makes the expressions contain that op
]


@given(COMPOSITE.drawn())
def test_value_and_gradient_agree_with_mpmath_and_torch(engine, case):
    """The value and each gradient component within their derived bounds of mpmath's, and
    the engine's value and gradient against torch float64 autograd's."""
    COMPOSITE.judge(case, engine)
