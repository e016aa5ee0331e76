"""The spec that lets gradproof verify softplus: load it with --ops-module softplus_spec."""

from reference.domains import Domain
from reference.ops import OpSpec, register

register(OpSpec(
    name="softplus",
    method="softplus",
    arity=1,
    call=lambda x: x.softplus(),
    source="{0}.softplus()",
    mp=lambda ctx, x: ctx.log1p(ctx.exp(x)),
    partials=lambda ctx, x: (1 / (1 + ctx.exp(-x)),),
    domains=lambda: (Domain(-1e300, 1e300),),
    singular=lambda: ((),),
    forward_ulps=lambda *a: 4.0,
    # torch's F.softplus returns x itself above its threshold (20): logaddexp is the exact function
    torch_call=lambda x: __import__("torch").logaddexp(x, __import__("torch").zeros_like(x)),
    doc="log(1 + exp(x))",
))
