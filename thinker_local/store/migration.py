"""A store written by an older version, brought up to this version's tables in place.

Tables are created ``IF NOT EXISTS``, so an older store keeps its own shape: a column added
since (``functions.service``, for one) would be missing, and every write naming it would fail.
:func:`add_missing_columns` adds each column the schema declares that the store's table lacks,
before the schema's indexes are created; a ``NOT NULL`` one gets its type's zero as default.
Rows keep their values, and a column is only ever added last: declare new columns last.
"""

from __future__ import annotations

import sqlite3

# The value an older row gets in a new NOT NULL column, by the column's declared type.
_ZERO = {"TEXT": "''", "INTEGER": "0", "REAL": "0.0"}


def add_missing_columns(connection: sqlite3.Connection, schema: str) -> list[str]:
    """Add to ``connection``'s existing tables the columns ``schema`` declares and they lack;
    the columns added, as ``table.column``."""
    declared = sqlite3.connect(":memory:")
    try:
        for statement in schema.split(";"):
            # The tables alone: an index may name a table of another schema.
            if statement.strip().upper().startswith("CREATE TABLE"):
                declared.execute(statement)
        tables = [
            row[0]
            for row in declared.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        added = []
        for table in tables:
            present = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
            if not present:
                continue  # a new table: the schema creates it whole
            for _, name, kind, not_null, default, _ in declared.execute(
                f"PRAGMA table_info({table})"
            ):
                if name in present:
                    continue
                column = f"{name} {kind}"
                if default is not None:
                    column += f" DEFAULT {default}"
                elif not_null:
                    column += f" NOT NULL DEFAULT {_ZERO.get(kind.upper(), "''")}"
                connection.execute(f"ALTER TABLE {table} ADD COLUMN {column}")
                added.append(f"{table}.{name}")
        return added
    finally:
        declared.close()


def give_spans_ids(connection: sqlite3.Connection, spans_table: str) -> int:
    """Rebuild a ``spans`` table written before spans had an ``id`` column (declared by
    ``spans_table``), keeping every row, in one transaction; how many spans it holds (0 if
    there was nothing to do).

    SQLite cannot add a primary key to a table, so the rows are copied to a new one; the old
    table's indexes go with it (the schemas create them again) and so does the tag table that
    named spans by their text ids (the new tag index is filled from the spans afterwards).
    """
    present = [row[1] for row in connection.execute("PRAGMA table_info(spans)")]
    if not present or "id" in present:
        return 0
    connection.execute("BEGIN IMMEDIATE")
    try:
        for (index,) in connection.execute(
            "SELECT name FROM sqlite_schema"
            " WHERE type = 'index' AND tbl_name = 'spans' AND sql IS NOT NULL"
        ).fetchall():
            connection.execute(f'DROP INDEX "{index}"')
        connection.execute("ALTER TABLE spans RENAME TO spans_before_ids")
        connection.execute("DROP TABLE IF EXISTS span_tags")
        connection.execute(spans_table)
        declared = connection.execute("PRAGMA table_info(spans)").fetchall()
        # A column the old table lacks gets what add_missing_columns would have given it.
        copied = ", ".join(
            name if name in present else (_ZERO.get(kind.upper(), "''") if not_null else "NULL")
            for _, name, kind, not_null, _, _ in declared
            if name != "id"
        )
        names = ", ".join(row[1] for row in declared if row[1] != "id")
        connection.execute(
            f"INSERT INTO spans ({names}) SELECT {copied} FROM spans_before_ids ORDER BY rowid"  # noqa: S608 (the tables' own column names)
        )
        connection.execute("DROP TABLE spans_before_ids")
        (count,) = connection.execute("SELECT COUNT(*) FROM spans").fetchone()
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return int(count)
