"""Settings refuse to start production without a secret key (run in a fresh interpreter)."""

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def import_settings(*, show="s.DEBUG, s.ALLOWED_HOSTS", **env):
    # Nothing of the suite's own environment (DATABASE_URL under scripts/with-postgres.sh,
    # CACHE_URL, ...) may leak into the settings under test.
    read = names_settings_read()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") and k not in read}
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


EMAIL_SETTINGS = (
    "s.EMAIL_BACKEND.rsplit('.', 2)[1], s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, "
    "s.EMAIL_HOST_PASSWORD, s.EMAIL_USE_TLS, s.EMAIL_USE_SSL, s.EMAIL_TIMEOUT, s.EMAIL_CONFIGURED"
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp+tls://rg%40example.edu:p%3Ass%2Fw@smtp.example.edu",
            "smtp smtp.example.edu 587 rg@example.edu p:ss/w True False 10 True",
        ),
        (
            "submission://u:p@smtp.example.edu:2525?timeout=30",
            "smtp smtp.example.edu 2525 u p True False 30 True",
        ),
        ("smtps://u:p@smtp.example.edu", "smtp smtp.example.edu 465 u p False True 10 True"),
        ("smtp://127.0.0.1", "smtp 127.0.0.1 25   False False 10 True"),
    ],
)
def test_settings_email_url_names_the_smtp_server(url, expected):
    result = import_settings(
        show=EMAIL_SETTINGS,
        DJANGO_SECRET_KEY="k",
        EMAIL_URL=url,
    )

    assert result.stderr == ""
    assert result.stdout.strip() == expected


def test_settings_email_url_console_prints_mail():
    result = import_settings(
        show="s.EMAIL_BACKEND, s.EMAIL_CONFIGURED",
        DJANGO_SECRET_KEY="k",
        EMAIL_URL="console://",
    )

    assert result.stdout.strip() == "django.core.mail.backends.console.EmailBackend True"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"EMAIL_URL": "http://smtp.example.edu"},
            "EMAIL_URL must look like smtp+tls://user:password@host:587",
        ),
        (
            {"EMAIL_URL": "smtp://h:x"},
            "EMAIL_URL has a port that is not a number.",
        ),
        (
            {"DJANGO_EMAIL_RETRY_DELAYS": "60,soon", "DJANGO_DEBUG": "1"},
            "DJANGO_EMAIL_RETRY_DELAYS must be whole numbers of seconds, comma-separated, not "
            "'soon'.",
        ),
    ],
)
def test_settings_refuse_email_settings_that_cannot_work(env, message):
    result = import_settings(DJANGO_SECRET_KEY="k", **env)

    assert result.returncode != 0
    assert message in result.stderr


def test_settings_email_defaults_links_and_retries():
    result = import_settings(
        show="s.SITE_URL, s.OUTBOX_RETRY_DELAYS, s.TASKS['default']['BACKEND']",
        DJANGO_DEBUG="1",
    )

    assert result.stdout.strip() == (
        "http://127.0.0.1:8000 [60, 300, 1800, 7200, 43200] django_tasks_db.DatabaseBackend"
    )


def test_settings_checkin_emails_per_client_defaults_to_3_and_can_be_raised():
    default = import_settings(show="s.CHECKIN_EMAILS_PER_CLIENT", DJANGO_DEBUG="1")
    raised = import_settings(
        show="s.CHECKIN_EMAILS_PER_CLIENT", DJANGO_DEBUG="1", DJANGO_CHECKIN_EMAILS_PER_CLIENT="40"
    )

    assert (default.stdout.strip(), raised.stdout.strip()) == ("3", "40")


def test_settings_local_development_prints_mail_on_the_console():
    result = import_settings(show="s.EMAIL_CONFIGURED, s.EMAIL_BACKEND", DJANGO_DEBUG="1")

    assert result.stdout.strip() == "True django.core.mail.backends.console.EmailBackend"


# --- Variables and .env --------------------------------------------------------------------------


def names_settings_read():
    """Every variable name readinggroup/settings.py reads: the first argument of
    `os.environ.get`, `os.getenv` and of each helper in the file that passes its argument on to
    one of them (env_bool, env_list, env_int, …), and `os.environ[...]`."""
    tree = ast.parse((ROOT / "readinggroup" / "settings.py").read_text())

    def is_environ_read(node):
        return isinstance(node, ast.Call) and ast.unparse(node.func) in {
            "os.environ.get",
            "os.getenv",
        }

    helpers = {
        function.name
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef)
        and any(
            is_environ_read(node) and isinstance(node.args[0], ast.Name)
            for node in ast.walk(function)
        )
    }
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (
            is_environ_read(node) or ast.unparse(node.func) in helpers
        ):
            argument = node.args[0]
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            argument = node.slice
        else:
            continue
        if isinstance(argument, ast.Constant):
            names.add(argument.value)
    return names


def names_in_env_example():
    """`NAME=` lines of .env.example, and `# NAME=` for one that only the environment sets."""
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def test_every_variable_settings_read_is_listed_in_env_example():
    read = names_settings_read()

    assert {"DJANGO_DEBUG", "DATABASE_URL", "DJANGO_HSTS_PRELOAD", "DJANGO_PROXY_COUNT"} <= read
    assert sorted(read - names_in_env_example()) == []


def test_settings_read_the_env_file_and_the_environment_wins(tmp_path):
    env_file = tmp_path / "readinggroup.env"
    env_file.write_text(
        "DJANGO_DEBUG=1\nDJANGO_ALLOWED_HOSTS=file.example.edu\nREADINGGROUP_SITE_NAME=From file\n"
    )

    result = import_settings(
        show="s.DEBUG, s.ALLOWED_HOSTS, s.SITE_NAME",
        DJANGO_ENV_FILE=str(env_file),
        DJANGO_ALLOWED_HOSTS="env.example.edu",
    )

    assert result.stdout.strip() == "True ['env.example.edu'] From file"


def test_env_example_copied_to_env_gives_production_settings():
    result = import_settings(
        show="s.DEBUG, s.ALLOWED_HOSTS, s.DATABASES['default']['ENGINE'], s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.AXES_FAILURE_LIMIT, s.CACHES['default']['BACKEND']",
        DJANGO_ENV_FILE=str(ROOT / ".env.example"),
        DJANGO_SECRET_KEY="k",
    )

    assert result.stdout.strip() == (
        "False ['readinggroup.example.edu'] django.db.backends.postgresql True 31536000 5 "
        "django.core.cache.backends.locmem.LocMemCache"
    )


def test_empty_values_in_the_env_file_mean_the_defaults(tmp_path):
    env_file = tmp_path / "readinggroup.env"
    empty = sorted(names_settings_read() - {"DJANGO_DEBUG"})
    env_file.write_text("".join(f"{name}=\n" for name in empty) + "DJANGO_DEBUG=1\n")

    result = import_settings(
        show="s.DEBUG, s.DATABASES['default']['NAME'] == str(s.BASE_DIR / 'db.sqlite3'), "
        "s.DATABASES['default']['CONN_MAX_AGE'], s.SECURE_HSTS_SECONDS, s.PROXY_COUNT, "
        "s.AXES_FAILURE_LIMIT, s.LOGGING['root']['level'], s.SITE_NAME",
        DJANGO_ENV_FILE=str(env_file),
    )

    assert result.stderr == ""
    assert result.stdout.strip() == "True True 600 0 1 5 INFO Reading group"


def test_an_env_file_that_is_named_but_missing_refuses_to_start(tmp_path):
    result = import_settings(DJANGO_ENV_FILE=str(tmp_path / "missing.env"), DJANGO_DEBUG="1")

    assert result.returncode != 0
    assert f"DJANGO_ENV_FILE names no file: {tmp_path / 'missing.env'}" in result.stderr


@pytest.mark.parametrize(("under_pytest", "expected"), [(True, "False"), (False, "True")])
def test_dotenv_beside_manage_py_is_read_except_under_pytest(tmp_path, under_pytest, expected):
    """A copy of settings.py in a project folder of its own, with a .env that turns DEBUG on."""
    (tmp_path / "readinggroup").mkdir()
    shutil.copy(ROOT / "readinggroup" / "settings.py", tmp_path / "readinggroup" / "settings.py")
    (tmp_path / ".env").write_text("DJANGO_DEBUG=1\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env = {**env, "DJANGO_SECRET_KEY": "k", "PYTEST_VERSION": "9"}
    if not under_pytest:
        del env["PYTEST_VERSION"]

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import runpy, sys; print(runpy.run_path(sys.argv[1])['DEBUG'])",
            str(tmp_path / "readinggroup" / "settings.py"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert (result.stdout.strip(), result.stderr) == (expected, "")


def test_git_ignores_the_sqlite_database_and_its_wal_files():
    names = ["db.sqlite3", "db.sqlite3-journal", "db.sqlite3-wal", "db.sqlite3-shm", ".env"]

    result = subprocess.run(
        ["git", "check-ignore", "--no-index", *names],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.stdout.split() == names
