"""The W3C Nu HTML checker (vnu.jar, fetched by scripts/get-vnu.sh) run on rendered pages."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

VNU = Path(__file__).resolve().parents[1] / ".cache" / "vnu.jar"


def require_vnu():
    missing = [
        name for name, ok in (("java", shutil.which("java")), ("vnu.jar", VNU.exists())) if not ok
    ]
    if missing:
        reason = (
            f"{' and '.join(missing)} missing "
            "(apt-get install default-jre-headless; scripts/get-vnu.sh)"
        )
        if os.environ.get("CI"):
            pytest.fail(f"HTML validation must run in CI: {reason}")
        pytest.skip(reason)


def html_errors(pages, tmp_path):
    """{name: [error messages]} for each of `pages` ({name: html}); errors only."""
    require_vnu()
    files = {}
    for name, html in pages.items():
        path = tmp_path / f"page{len(files):02d}.html"
        path.write_text(html)
        files[str(path)] = name
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    errors = {name: [] for name in pages}
    for message in messages:
        name = files.get(message.get("url", "").removeprefix("file:"))
        errors[name].append(f"{message.get('lastLine')}: {message['message']}")
    return errors
