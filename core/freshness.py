"""What decides that a cached public page is still true: one number in the database.

Every table whose rows members see (terms, weeks, papers, readings, sections, meetings, notes,
the names of leads and organizers) carries database triggers that move `core_dataversion`'s
one row on to a new, larger number whenever a row is inserted, deleted or changed. Triggers,
not Django signals, so that *every* write counts, whichever process makes it and however:
a form, the admin, a queryset `update()`, `bulk_create`, `loaddata`, `import_term`, a data
migration, `manage.py shell`, even SQL typed into `psql`. The number is part of the row's
transaction, so it becomes visible exactly when the change does (a reader who sees the new
number sees the new data), on every server and worker process at once.

Which tables count is declared next to their models: each app calls `watch()` from its
`AppConfig.ready()`; `install_triggers()` (run after every `migrate`) writes the triggers.

The version is a count of microseconds since 1970 at the first write of the last change (or one
more than the previous version, whichever is larger), so it never repeats, not even after the
table is emptied, and it doubles as the time of the last change.

PostgreSQL: the row is written once per transaction (a transaction-local setting remembers it;
updating one row thousands of times in one transaction would get slower with every update),
and its lock is held until commit, so changes to watched tables commit one at a time.
Services that lock rows with `select_for_update()` before writing call `changing()` first, so
that every transaction takes the version's lock before any other (no deadlock).
"""

import datetime
from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connection, connections

TABLE = "core_dataversion"
FUNCTION = "rg_bump_data_version"
BUMPED_IN = "readinggroup.version_bumped_in"  # PostgreSQL: the transaction that moved it on
_READ = f"SELECT version FROM {TABLE} WHERE id = 1"
_READ_PG = f"SELECT ({_READ}), set_config('{BUMPED_IN}', '', true)"


@dataclass(frozen=True)
class Watched:
    model: type
    columns: tuple[str, ...] = field(default=())  # columns whose updates count (all if empty)
    ignore: tuple[str, ...] = field(default=())  # columns whose updates never count
    inserts_and_deletes: bool = True

    @property
    def table(self):
        return self.model._meta.db_table

    def update_columns(self):
        names = self.columns or tuple(f.column for f in self.model._meta.concrete_fields)
        return tuple(name for name in names if name not in self.ignore)


_watched: dict[str, Watched] = {}


def watch(model, *, columns=(), ignore=(), inserts_and_deletes=True):
    """Count every write to this model's table as a change of what members see."""
    entry = Watched(model, tuple(columns), tuple(ignore), inserts_and_deletes)
    _watched[entry.table] = entry


def watched_tables():
    return sorted(_watched)


def current_version(using=DEFAULT_DB_ALIAS):
    """The version now: one primary-key read (0 before the first change).

    The read is also the request's connection health check (CONN_HEALTH_CHECKS would otherwise
    send a `SELECT 1` first on PostgreSQL): if a persistent connection has gone stale, it is
    closed and the read tried once more on a new one.

    On PostgreSQL it also forgets that this transaction has moved the version on already, so
    that a transaction that writes, reads a page and writes again (a test, a script) moves it
    on again: a page filed under the first number must not outlive the second write."""
    conn = connections[using]
    sql = _READ_PG if conn.vendor == "postgresql" else _READ
    if conn.connection is not None:
        conn.health_check_done = True  # this read is the health check
    try:
        row = _fetch(conn, sql)
    except (OperationalError, InterfaceError):
        if conn.in_atomic_block:
            raise
        conn.close()
        row = _fetch(conn, sql)
    return (row[0] if row else 0) or 0


def _fetch(conn, sql):
    with conn.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()


def version_time(version):
    """When the change that made `version` was written (UTC)."""
    seconds = min(max(version, 0) // 1_000_000, 253402300799)  # before year 10000
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)


def changing(using="default"):
    """Move the version on now, in the caller's transaction (triggers do it by themselves; a
    service calls this first when it locks rows before its first write, see the module doc)."""
    with connections[using].cursor() as cursor:
        if connections[using].vendor == "postgresql":
            cursor.execute(f"SELECT {FUNCTION}_now()")
        else:
            for statement in _SQLITE_BUMP:
                cursor.execute(statement)


# --- SQLite ------------------------------------------------------------------------------------

_SQLITE_NOW_US = "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)"
_SQLITE_BUMP = [
    f"INSERT OR IGNORE INTO {TABLE} (id, version) VALUES (1, 0)",
    f"UPDATE {TABLE} SET version = max(version + 1, {_SQLITE_NOW_US}) WHERE id = 1",
]


def _q(name):
    return connection.ops.quote_name(name)


def _changed(columns, vendor):
    op = "IS DISTINCT FROM" if vendor == "postgresql" else "IS NOT"
    return " OR ".join(f"OLD.{_q(c)} {op} NEW.{_q(c)}" for c in columns)


def _sqlite_statements(entry):
    table, body = entry.table, " ".join(f"{s};" for s in _SQLITE_BUMP)
    name = f"rgfresh_{table}"
    statements = [f"DROP TRIGGER IF EXISTS {name}_{event}" for event in ("ins", "upd", "del")]
    if entry.inserts_and_deletes:
        statements += [
            f"CREATE TRIGGER {name}_ins AFTER INSERT ON {_q(table)} BEGIN {body} END",
            f"CREATE TRIGGER {name}_del AFTER DELETE ON {_q(table)} BEGIN {body} END",
        ]
    columns = entry.update_columns()
    if columns:
        of = ", ".join(_q(c) for c in columns)
        statements.append(
            f"CREATE TRIGGER {name}_upd AFTER UPDATE OF {of} ON {_q(table)} FOR EACH ROW "
            f"WHEN {_changed(columns, 'sqlite')} BEGIN {body} END"
        )
    return statements


# --- PostgreSQL --------------------------------------------------------------------------------

_PG_FUNCTIONS = [
    f"""
CREATE OR REPLACE FUNCTION {FUNCTION}_now() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('{BUMPED_IN}', true)
     IS DISTINCT FROM txid_current()::text THEN
    INSERT INTO {TABLE} (id, version)
    VALUES (1, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)
    ON CONFLICT (id) DO UPDATE
      SET version = GREATEST({TABLE}.version + 1, EXCLUDED.version);
    PERFORM set_config('{BUMPED_IN}', txid_current()::text, true);
  END IF;
END $$""",
    f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM {FUNCTION}_now();
  RETURN NULL;
END $$""",
]


def _pg_statements(entry):
    table = entry.table
    name = f"rgfresh_{table}"[:50]
    run = f"EXECUTE FUNCTION {FUNCTION}()"
    statements = [
        f"DROP TRIGGER IF EXISTS {name}_{event} ON {_q(table)}"
        for event in ("insdel", "upd", "trunc")
    ]
    if entry.inserts_and_deletes:
        statements += [
            f"CREATE TRIGGER {name}_insdel AFTER INSERT OR DELETE ON {_q(table)} "
            f"FOR EACH ROW {run}",
            f"CREATE TRIGGER {name}_trunc AFTER TRUNCATE ON {_q(table)} FOR EACH STATEMENT {run}",
        ]
    columns = entry.update_columns()
    if columns:
        of = ", ".join(_q(c) for c in columns)
        statements.append(
            f"CREATE TRIGGER {name}_upd AFTER UPDATE OF {of} ON {_q(table)} FOR EACH ROW "
            f"WHEN ({_changed(columns, 'postgresql')}) {run}"
        )
    return statements


def trigger_statements(vendor):
    """The SQL that (re)creates every trigger; idempotent."""
    if vendor == "postgresql":
        statements = list(_PG_FUNCTIONS)
        for table in watched_tables():
            statements += _pg_statements(_watched[table])
        return statements
    if vendor == "sqlite":
        statements = []
        for table in watched_tables():
            statements += _sqlite_statements(_watched[table])
        return statements
    raise NotImplementedError(f"No freshness triggers for {vendor}: use SQLite or PostgreSQL.")


def install_triggers(using="default", **kwargs):
    """Create (or re-create) every trigger, then move the version on once."""
    from django.db import transaction

    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        for statement in trigger_statements(connections[using].vendor):
            cursor.execute(statement)
        changing(using=using)
