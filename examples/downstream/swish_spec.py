"""The spec that lets gradproof verify swish: load it with --ops-module swish_spec."""

from reference.domains import Domain
from reference.ops import OpSpec, register

register(OpSpec(
    name="swish",
    method="swish",
    arity=1,
    call=lambda x: x.swish(),
    source="{0}.swish()",
    mp=lambda ctx, x: x / (1 + ctx.exp(-x)),
    partials=lambda ctx, x: (1 / (1 + ctx.exp(-x)) + x * ctx.exp(-x) / (1 + ctx.exp(-x)) ** 2,),
    domains=lambda: (Domain(-1e300, 1e300),),
    singular=lambda: ((),),
    forward_ulps=lambda *a: 6.0,
    # s + x s (1 - s): terms of size |x| s that cancel where x is large and negative
    derivative_ulps=lambda *a: 12.0,
    derivative_scale=lambda ctx, x: (1 / (1 + ctx.exp(-x)) * (1 + abs(x)),),
    torch_call=lambda x: __import__("torch").nn.functional.silu(x),
    doc="x * sigmoid(x) (torch calls it silu)",
))
