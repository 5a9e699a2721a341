"""Restore drill (`make restore-drill`, docs/operations.md): prove a backup restores.

1. ``pg_dump -Fc`` of the database in DATABASE_URL (what the nightly backup does);
2. ``pg_restore`` into a scratch database next to it (``<name>_restore_drill``, dropped and
   created anew — never a real database's name);
3. compare every table's row count, and the case-event chain: a digest of every case's events
   in order, and that each case's trajectory steps follow on from each other and end in the
   case's current state — in the source and in the restored copy;
4. drop the scratch database (``--keep`` leaves it for inspection).

Exit status 0 when the restored copy is the same, 1 otherwise. Needs the PostgreSQL client
tools (pg_dump, pg_restore) of the server's major version.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
from urllib.parse import urlparse, urlunparse

import psycopg2


def with_database(url: str, name: str) -> str:
    parsed = urlparse(url)
    return urlunparse(parsed._replace(path=f"/{name}"))


def libpq(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def row_counts(url: str) -> dict[str, int]:
    with psycopg2.connect(libpq(url)) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        tables = [row[0] for row in cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - names from pg_tables
            counts[table] = cursor.fetchone()[0]
    return counts


def event_chain(url: str) -> tuple[str, int, int]:
    """(digest of every case's events in order, cases checked, cases whose steps do not follow on)."""
    digest = hashlib.sha256()
    broken = checked = 0
    with psycopg2.connect(libpq(url)) as conn, conn.cursor(name="events") as cursor:
        cursor.itersize = 5000
        cursor.execute(
            "SELECT e.case_id, e.id, e.at, e.kind, e.transition, e.from_state, e.to_state, c.state "
            "FROM cases_caseevent e JOIN cases_case c ON c.id = e.case_id ORDER BY e.case_id, e.at, e.id"
        )
        current, last_to, state = None, None, None
        ok = True

        def close() -> None:
            nonlocal broken, checked
            if current is None:
                return
            checked += 1
            if not ok or (last_to is not None and last_to != state):
                broken += 1

        for case_id, event_id, at, kind, transition, from_state, to_state, case_state in cursor:
            digest.update(f"{case_id}|{event_id}|{at.isoformat()}|{kind}|{transition}|{from_state}|{to_state}\n".encode())
            if case_id != current:
                close()
                current, last_to, state, ok = case_id, None, case_state, True
            if to_state:
                if from_state and last_to is not None and from_state != last_to:
                    ok = False
                last_to = to_state
        close()
    return digest.hexdigest(), checked, broken


def admin_execute(url: str, *statements: str) -> None:
    conn = psycopg2.connect(libpq(url))
    conn.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction
    try:
        with conn.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        conn.close()


def run(command: list[str]) -> None:
    subprocess.run(command, check=True, env={**os.environ, "PGCONNECT_TIMEOUT": "10"})  # noqa: S603


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    source = args.database_url
    if not source.startswith(("postgres://", "postgresql://")):
        print("The restore drill needs a PostgreSQL DATABASE_URL.", file=sys.stderr)
        return 2
    name = urlparse(source).path.lstrip("/")
    scratch_name = f"{name}_restore_drill"
    scratch = with_database(source, scratch_name)
    admin = with_database(source, "postgres")
    with tempfile.TemporaryDirectory() as folder:
        dump = os.path.join(folder, "backup.dump")
        run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", f"--dbname={libpq(source)}"])
        admin_execute(admin, f'DROP DATABASE IF EXISTS "{scratch_name}"', f'CREATE DATABASE "{scratch_name}"')
        try:
            run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={libpq(scratch)}", dump])
            size = os.path.getsize(dump)
            source_counts, restored_counts = row_counts(source), row_counts(scratch)
            source_chain, restored_chain = event_chain(source), event_chain(scratch)
        finally:
            if not args.keep:
                admin_execute(admin, f'DROP DATABASE IF EXISTS "{scratch_name}"')
    differing = {t: (source_counts.get(t), restored_counts.get(t)) for t in source_counts.keys() | restored_counts.keys()
                 if source_counts.get(t) != restored_counts.get(t)}
    print(f"dump: {size} bytes; tables: {len(source_counts)}; rows: {sum(source_counts.values())}")
    print("row counts match" if not differing else f"ROW COUNTS DIFFER: {differing}")
    print(f"case events: {source_chain[1]} cases, digest {source_chain[0][:16]}…; cases whose steps do not follow on: "
          f"{source_chain[2]} (source) / {restored_chain[2]} (restored)")
    same_chain = source_chain == restored_chain
    print("case-event chain matches" if same_chain else "CASE-EVENT CHAIN DIFFERS")
    return 0 if not differing and same_chain else 1


if __name__ == "__main__":
    sys.exit(main())
