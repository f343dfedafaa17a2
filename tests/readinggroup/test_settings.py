"""Settings refuse to start production without a secret key (run in a fresh interpreter)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def import_settings(**env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import readinggroup.settings as s; print(s.DEBUG, s.ALLOWED_HOSTS)",
        ],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_settings_without_secret_key_refuse_to_start_outside_debug():
    result = import_settings()

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set unless DJANGO_DEBUG=1" in result.stderr


def test_settings_debug_is_off_unless_asked_for():
    result = import_settings(DJANGO_SECRET_KEY="k", DJANGO_ALLOWED_HOSTS="rg.example.edu")

    assert result.stdout.strip() == "False ['rg.example.edu']"


def test_settings_local_development_has_safe_defaults():
    result = import_settings(DJANGO_DEBUG="1")

    assert result.stdout.strip() == "True ['localhost', '127.0.0.1']"
