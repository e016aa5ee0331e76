"""``verify(Value)`` as a learner calls it: in a real notebook, executed by a real kernel (nbclient
and ipykernel).  A cell defines an engine with a known bug and verify names it, with its table; the
fixed class, re-run in the same kernel, is ok; an engine whose tanh never returns gets a finding
and the kernel lives on.  (About 40 s: it runs in .ci/run, with ``pytest -m slow``.)"""

from __future__ import annotations

import textwrap

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat, nbclient and ipykernel are dev dependencies")
nbclient = pytest.importorskip("nbclient", reason="nbformat, nbclient and ipykernel are dev dependencies")
pytest.importorskip("ipykernel", reason="nbformat, nbclient and ipykernel are dev dependencies")

from correct_engines import learner_engine

pytestmark = pytest.mark.slow


HANGING = '''
class Hanging(Value):
    def tanh(self):
        while True:
            pass
'''


def _cells() -> list[str]:
    return [
        "from properties import verify",
        learner_engine("(1 - t)"),  # tanh's derivative written 1 - t instead of 1 - t**2
        "result = verify(Value)\nprint(sorted({(f.op, f.kind) for f in result.findings}))\nresult",
        learner_engine("(1 - t**2)"),  # fixed
        "result = verify(Value)\nprint('ok:', result.ok)",
        HANGING + "\nresult = verify(Hanging, seconds=60)\nprint([f.summary for f in result.findings])",
        "print('the kernel lives')",
    ]


def test_verify_in_a_real_notebook(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(textwrap.dedent(source)) for source in _cells()]
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    nbformat.write(notebook, tmp_path / "verify.ipynb")  # kept for a look when the test fails
    outputs = [cell.outputs for cell in notebook.cells]

    def text(k: int) -> str:
        return "".join(o.get("text", "") for o in outputs[k] if o.get("output_type") == "stream" and o["name"] == "stdout")

    assert "[('tanh', 'derivative')]" in text(2), outputs[2]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs[2] if o.get("output_type") == "execute_result")
    assert "<table>" in html and "<details><summary>reproducer</summary>" in html and "tanh, derivative" in html, html
    assert "ok: True" in text(4), outputs[4]
    assert "tanh, crash: tanh(" in text(5) and "did not return within" in text(5), outputs[5]
    assert "the kernel lives" in text(6), outputs[6]
