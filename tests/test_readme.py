"""The README's Python snippets run as written: a newcomer's first copy-paste must not raise.

Each ```python block is executed in order in one namespace (later blocks may use names of earlier ones). A
snippet that talks to the HTTP service gets a real server on a free port in place of `127.0.0.1:8000`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cardbin.service.app import create_app
from tests.cardbin.harness import running

ROOT = Path(__file__).resolve().parent.parent
SNIPPET = re.compile(r"```python\n(.*?)```", re.DOTALL)
DOCUMENTED_SERVER = "http://127.0.0.1:8000"


def _snippets() -> list[str]:
    return SNIPPET.findall((ROOT / "README.md").read_text(encoding="utf-8"))


def test_the_readme_has_python_snippets() -> None:
    assert len(_snippets()) >= 3


def test_every_python_snippet_runs_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CARDBIN_DB", raising=False)  # the snippets promise the bundled release
    namespace: dict[str, object] = {"__name__": "readme"}
    with running(create_app()) as base_url:
        for number, code in enumerate(_snippets(), 1):
            source = code.replace(DOCUMENTED_SERVER, base_url)
            exec(compile(source, f"README.md python snippet {number}", "exec"), namespace)
