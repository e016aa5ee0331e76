"""The core: the suite's properties run on an engine given as an object, the findings returned.

    from properties import run
    result = run(Value)              # a class: defined in a notebook, a script, a package
    result.ok, result.findings

pytest is the runner: :func:`run` runs it in this process on the properties package, with the
gradproof plugin and none of the calling project's pytest configuration (no ini file, no
conftest, no pytest-xdist: an engine defined in a notebook cannot be sent to a worker), and
hands it the configuration through :func:`properties.core.session.requested`.  Nothing in the
property modules holds an engine (the plugin gives each property the run's hypothesis settings), so
two calls on two engines give two verdicts; the modules are imported afresh only when an ops module
registered an op since they were (``test_each_op`` makes a test per registry op at import).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

from properties.core.config import Config, resolve
from properties.core.engine_under_test import from_config
from properties.core.session import requested
from properties.results.result import Result
from reference.ops import REGISTRY

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # properties/


def run(engine: Any, *, aliases: Mapping[str, str] | Iterable[str] | None = None, not_ops: Iterable[str] = (),
        ops_modules: Iterable[str] = (), profile: str | None = None, op: str | None = None,
        ops: Iterable[str] | None = None, value_attr: str | None = None, grad_attr: str | None = None,
        backward: str | None = None, adapter: Any = None, findings: str | os.PathLike | None = None,
        corpus: Iterable[str | os.PathLike] = (), seconds: float | None = None, hang_seconds: float | None = None,
        progress: Callable[[int, int, int], None] | None = None, quick: bool = False, strict_ops: bool = False,
        quiet: bool = True, pytest_args: Iterable[str] = (), root: str | os.PathLike = ".") -> Result:
    """Run the suite on ``engine`` (a class, or ``"MODULE:ATTR"``) and return its verdict.

    ``aliases`` ({registry op: method}), ``not_ops``, ``ops_modules``, ``profile`` (a hypothesis
    profile: dev, ci, fuzz, mutants, smoke, quick), ``op``, ``findings`` (a path for the JSON) and
    ``corpus`` (more regression directories) are the plugin's options; ``ops`` verifies only these
    registry ops; ``value_attr``, ``grad_attr``, ``backward`` and ``adapter`` (a subclass of
    :class:`properties.Adapter`, an instance, or MODULE:CLASS) give the engine's shape where probing
    cannot find it; ``seconds`` is the run's budget (the tests not started by then are not run),
    ``hang_seconds`` the time limit of one test (past it, the engine hangs: a finding);
    ``progress(done, total, failing)`` is called after each test; ``quick`` skips the tests left
    for an op once it has a finding (a verdict in seconds; the default runs them all); ``strict_ops``
    makes a missing operator fail the run; ``[tool.gradproof]`` in ``root``'s pyproject.toml and the
    environment fill in the rest.  ``quiet`` keeps pytest's output to itself; ``pytest_args`` go to pytest as they
    are (``-k``, ``-x``, ``-m``).  Raises :class:`properties.core.config.ConfigError` for a
    setting that cannot be used.
    """
    options = {"engine": engine, "aliases": aliases, "not_ops": tuple(not_ops), "ops_modules": tuple(ops_modules),
               "profile": profile, "op": op, "findings": None if findings is None else str(findings),
               "corpus": tuple(str(c) for c in corpus), "ops": None if ops is None else tuple(ops),
               "value_attr": value_attr, "grad_attr": grad_attr, "backward": backward, "adapter": adapter,
               "seconds": seconds, "hang_seconds": hang_seconds, "quick": quick,
               "strict_ops": strict_ops}
    return run_config(resolve(options, root=root), quiet=quiet, pytest_args=pytest_args, progress=progress)


def run_config(config: Config, *, quiet: bool = True, pytest_args: Iterable[str] = (),
               progress: Callable[[int, int, int], None] | None = None) -> Result:
    """Run the suite as ``config`` says (see :func:`run`)."""
    import pytest

    from_config(config)  # a ConfigError here, before pytest starts, is the clearest
    args = [str(PACKAGE_DIR), "-c", os.devnull, f"--rootdir={PACKAGE_DIR.parent}", "--noconftest",
            "--capture=sys", "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:gradproof",
            "-p", "properties.plugin", *(["-q", "--tb=line"] if quiet else []), *pytest_args]
    output = io.StringIO()
    with requested(config, progress) as request, _fresh_properties(), _quiet(output if quiet else None):
        exit_code = pytest.main(args)
    if request.run is None:  # pytest stopped before the plugin could start the run (a usage error)
        raise RuntimeError(f"pytest exited with status {int(exit_code)} before the run started:\n"
                           + output.getvalue()[-3000:])
    done = request.run
    return Result(done.engine.name, done.findings, done.engine.ops, done.engine.missing_ops, int(exit_code),
                  done.findings.to_json(done.engine), done.engine.adapter.describe(), done.stopped,
                  time.monotonic() - done.started, config.strict_ops, done.engine.deselected_ops)


@contextlib.contextmanager
def _fresh_properties() -> Iterator[None]:
    """The property modules imported anew for this run where the registry has grown since they
    were, and the caller's put back after it."""
    each_op = sys.modules.get("properties.test_each_op")
    if each_op is None or getattr(each_op, "REGISTERED", None) == tuple(REGISTRY):
        yield
        return
    saved = {name: module for name, module in sys.modules.items() if name.startswith("properties.test_")}
    for name in saved:
        del sys.modules[name]
    try:
        yield
    finally:
        for name in [n for n in sys.modules if n.startswith("properties.test_")]:
            del sys.modules[name]
        sys.modules.update(saved)


@contextlib.contextmanager
def _quiet(into: io.StringIO | None) -> Iterator[None]:
    if into is None:
        yield
        return
    with contextlib.redirect_stdout(into):
        yield
