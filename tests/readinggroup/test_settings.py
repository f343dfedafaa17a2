"""Settings refuse to start production without a secret key (run in a fresh interpreter)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def import_settings(*, show="s.DEBUG, s.ALLOWED_HOSTS", **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"import readinggroup.settings as s; print({show})",
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


def test_settings_sqlite_waits_for_the_write_lock_instead_of_failing():
    result = import_settings(
        show="s.DATABASES['default']['OPTIONS']",
        DJANGO_DEBUG="1",
        DATABASE_URL="sqlite:////tmp/readinggroup.sqlite3",
    )

    assert result.stdout.strip() == (
        "{'transaction_mode': 'IMMEDIATE', 'timeout': 20, "
        "'init_command': 'PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL'}"
    )


def test_settings_postgresql_gets_no_sqlite_options():
    result = import_settings(
        show="s.DATABASES['default'].get('OPTIONS')",
        DJANGO_DEBUG="1",
        DATABASE_URL="postgres://u:p@127.0.0.1:5432/readinggroup",
    )

    assert result.stdout.strip() == "None"


def test_settings_email_is_not_configured_in_production_without_a_host():
    result = import_settings(
        show="s.EMAIL_CONFIGURED, getattr(s, 'EMAIL_BACKEND', 'smtp')",
        DJANGO_SECRET_KEY="k",
    )

    assert result.stdout.strip() == "False smtp"


def test_settings_email_is_configured_with_a_host():
    result = import_settings(
        show="s.EMAIL_CONFIGURED, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS",
        DJANGO_SECRET_KEY="k",
        DJANGO_EMAIL_HOST="smtp.example.edu",
    )

    assert result.stdout.strip() == "True smtp.example.edu 587 True"


def test_settings_local_development_prints_mail_on_the_console():
    result = import_settings(show="s.EMAIL_CONFIGURED, s.EMAIL_BACKEND", DJANGO_DEBUG="1")

    assert result.stdout.strip() == "True django.core.mail.backends.console.EmailBackend"
