"""SQLite storage: seeding, reads for the HTTP handlers, mutations and reset.

Every resource has its own table with the same columns::

    id          INTEGER PRIMARY KEY
    pos         listing rank in the direct API's order (NULL = never listed);
                a page is ``pos >= start ORDER BY pos LIMIT n`` -> O(log n) at any depth
    parent_id   group id for members and touches (hub groups/{id}/...)
    created_ms  epoch ms of created_at (indexed, so instants order correctly)
    updated_ms  epoch ms of updated_at; for sends the DERIVED updated_at
                (latest status_updates[].occurred_at, else created_at)
    updated_at  text of that updated_at (the hub's derived field for sends)
    doc         the pre-serialised JSON record served as-is

Every read the surfaces need is a method here (they hold no SQL); a hub list is a
``ListQuery`` (built by the backend from ``where``/``orderBy``) read a keyset page at a time.

Reset without regenerating: before a row is first changed its original is copied
to ``pristine``; rows created at runtime are listed in ``created``.  Reset copies
the originals back and deletes the created rows, so it is fast at any scale.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import random
import shutil
import sqlite3
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from . import ceql_sql, data
from .ceql_sql import Binder
from .resources import ALL, BY_HUB_PATH, BY_TABLE
from .timefmt import format_sendoso, now_ms

COLUMNS = ("id", "pos", "parent_id", "created_ms", "updated_ms", "updated_at", "doc")
_COLS = ", ".join(COLUMNS)
_MARKS = ", ".join("?" for _ in COLUMNS)


def _offset_minutes(timestamp: str) -> int:
    """The ``-07:00`` at the end of a Sendoso timestamp, in minutes."""
    tail = timestamp[-6:]
    sign = -1 if tail[0] == "-" else 1
    return sign * (int(tail[1:3]) * 60 + int(tail[4:6]))


class StoreError(ValueError):
    """A control request the store cannot honour (unknown resource etc.)."""


@dataclass
class ListQuery:
    """The rows of one table a hub list shows, in its order: SQL conditions over the
    table's columns with their bound parameters, and the sort expression."""

    table: str
    conditions: list[str]
    bind: Binder
    sort: str = "id"
    descending: bool = False

    @property
    def filters(self) -> str:
        return " AND ".join(self.conditions) or "1"


@dataclass(frozen=True)
class Position:
    """Where a keyset page starts: after the row with this sort value and id, or past the end."""

    value: object = None
    id: int = 0
    end: bool = False


def _keyset_condition(position: Position | None, sort_sql: str, descending: bool, bind: Binder) -> str:
    """SQL selecting the rows after the position.

    Row values let SQLite range-scan an (s, id) index.  SQLite sorts NULL first, so
    ascending pages pass the NULLs first and descending ones last."""
    if position is None:
        return "1"
    if position.end:
        return "0"
    last_v, last_id = position.value, bind(position.id)
    if sort_sql == "id":
        return f"id {'<' if descending else '>'} {last_id}"
    if descending:
        if last_v is None:
            return f"(s IS NULL AND id < {last_id})"
        return f"((s, id) < ({bind(last_v)}, {last_id}) OR s IS NULL)"
    if last_v is None:
        return f"((s IS NULL AND id > {last_id}) OR s IS NOT NULL)"
    return f"((s, id) > ({bind(last_v)}, {last_id}))"


class Store:
    def __init__(self, seed: int = 1, scale: int = 1000, db_path: str | None = None):
        self.seed = seed
        self.scale = scale
        self._tmpdir = None
        if db_path is None:
            self._tmpdir = tempfile.mkdtemp(prefix="sendoso-sandbox-")
            db_path = os.path.join(self._tmpdir, "sandbox.sqlite3")
        self.path = db_path
        self._write_lock = threading.Lock()
        self._pool: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue()
        self._all_connections: list[sqlite3.Connection] = []
        self._pool_lock = threading.Lock()
        self._mutation_counter = 0
        self.counts: dict[str, int] = {}
        self.min_pos: dict[str, int] = {}
        self.build_seconds = 0.0
        self.reused = False
        self._open()

    # ---- lifecycle -------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        # CEQL LIKE is case-sensitive; SQLite's LIKE is not unless told.
        conn.execute("PRAGMA case_sensitive_like = ON")
        ceql_sql.register_functions(conn)  # the hub's where= SQL calls them
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -65536")
        conn.execute("PRAGMA mmap_size = 1073741824")
        return conn

    def _open(self) -> None:
        if os.path.exists(self.path) and self._matches_seed():
            self.reused = True
        else:
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(self.path + suffix):
                    os.remove(self.path + suffix)
            started = time.perf_counter()
            self._build()
            self.build_seconds = time.perf_counter() - started
        self._writer = self._connect()
        self._writer.execute("PRAGMA journal_mode = WAL")
        self._load_bookkeeping()
        if self.reused:
            self.reset()

    def _matches_seed(self) -> bool:
        try:
            conn = sqlite3.connect(self.path)
            try:
                meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            finally:
                conn.close()
        except sqlite3.DatabaseError:
            return False
        return meta == {
            "seed": str(self.seed),
            "scale": str(self.scale),
            "version": str(data.GENERATOR_VERSION),
            "complete": "1",
        }

    def _build(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute("PRAGMA cache_size = -262144")
            conn.execute("BEGIN")
            conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
            conn.execute(
                "CREATE TABLE pristine (tbl TEXT, id INTEGER, pos INTEGER, parent_id INTEGER, created_ms INTEGER,"
                " updated_ms INTEGER, updated_at TEXT, doc TEXT, PRIMARY KEY (tbl, id))"
            )
            conn.execute("CREATE TABLE created (tbl TEXT, id INTEGER, PRIMARY KEY (tbl, id))")
            for resource in ALL:
                conn.execute(
                    f"CREATE TABLE {resource.table} (id INTEGER PRIMARY KEY, pos INTEGER, parent_id INTEGER,"
                    " created_ms INTEGER, updated_ms INTEGER, updated_at TEXT, doc TEXT NOT NULL)"
                )
            gen = data.Generator(self.seed, self.scale)
            for table, rows in gen.small_tables().items():
                conn.executemany(f"INSERT INTO {table} ({_COLS}) VALUES ({_MARKS})", rows)
            for batch in gen.send_batches():
                conn.executemany(f"INSERT INTO sends ({_COLS}) VALUES ({_MARKS})", batch)
            # Indexes after the bulk load: building them once is far cheaper.
            for resource in ALL:
                conn.execute(f"CREATE INDEX {resource.table}_pos ON {resource.table} (pos)")
                conn.execute(f"CREATE INDEX {resource.table}_parent ON {resource.table} (parent_id, id)")
            conn.execute("CREATE INDEX sends_updated ON sends (updated_ms, id)")
            conn.execute("CREATE INDEX sends_created ON sends (created_ms, id)")
            conn.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [("seed", str(self.seed)), ("scale", str(self.scale)), ("version", str(data.GENERATOR_VERSION))],
            )
            conn.execute("COMMIT")
            conn.execute("ANALYZE")
            conn.execute("INSERT INTO meta VALUES ('complete', '1')")
        finally:
            conn.close()

    def _load_bookkeeping(self) -> None:
        with self.read() as conn:
            for resource in ALL:
                t = resource.table
                count, low = conn.execute(f"SELECT count(pos), min(pos) FROM {t}").fetchone()
                self.counts[t] = count
                self.min_pos[t] = low if low is not None else 0

    def close(self) -> None:
        with self._pool_lock:
            for conn in self._all_connections:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._all_connections.clear()
        try:
            self._writer.close()
        except (sqlite3.Error, AttributeError):
            pass
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)

    # ---- reads --------------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A pooled connection (SQLite connections are not shared across threads
        at the same time; WAL lets readers run beside the writer)."""
        try:
            conn = self._pool.get_nowait()
        except queue.Empty:
            conn = self._connect()
            conn.execute("PRAGMA query_only = ON")
            with self._pool_lock:
                self._all_connections.append(conn)
        try:
            yield conn
        finally:
            self._pool.put(conn)

    def page(self, table: str, offset: int, limit: int) -> list[str]:
        """Docs at listing positions [offset, offset + limit)."""
        start = self.min_pos[table] + offset
        with self.read() as conn:
            rows = conn.execute(f"SELECT doc FROM {table} WHERE pos >= ? ORDER BY pos LIMIT ?", (start, limit)).fetchall()
        return [r[0] for r in rows]

    def doc(self, table: str, record_id: int) -> str | None:
        with self.read() as conn:
            row = conn.execute(f"SELECT doc FROM {table} WHERE id = ?", (record_id,)).fetchone()
        return row[0] if row else None

    def listed_matching(self, table: str, field: str, value: str, offset: int, limit: int) -> tuple[int, list[str]]:
        """(how many listed records have ``field`` equal to ``value``, the docs at [offset, offset + limit))."""
        listed = f"FROM {table} WHERE pos IS NOT NULL AND json_extract(doc, '$.{field}') = ?"
        with self.read() as conn:
            total = conn.execute(f"SELECT count(*) {listed}", (value,)).fetchone()[0]
            if offset >= total:
                return total, []
            rows = conn.execute(f"SELECT doc {listed} ORDER BY pos LIMIT ? OFFSET ?", (value, limit, offset)).fetchall()
        return total, [r[0] for r in rows]

    def children(self, table: str, parent_id: int) -> list[str]:
        """Docs of the records under a parent (a group's members), by id."""
        with self.read() as conn:
            rows = conn.execute(f"SELECT doc FROM {table} WHERE parent_id = ? ORDER BY id", (parent_id,)).fetchall()
        return [r[0] for r in rows]

    def after_id(self, table: str, after_id: int, limit: int) -> list[tuple[int, str]]:
        """(id, doc) of the records after an id, by id (cursor paging)."""
        with self.read() as conn:
            return conn.execute(f"SELECT id, doc FROM {table} WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit)).fetchall()

    def list_rows(self, query: ListQuery, after: Position | None, offset: int, limit: int) -> list[tuple]:
        """(id, sort value, doc) of a page of the query: after a position, or from an offset."""
        bind = query.bind
        keyset = _keyset_condition(after, query.sort, query.descending, bind)
        direction = "DESC" if query.descending else "ASC"
        if query.sort == "id":
            sql = (
                f"SELECT id, id, doc FROM {query.table} WHERE {query.filters} AND {keyset}"
                f" ORDER BY id {direction} LIMIT {bind(limit)} OFFSET {bind(offset)}"
            )
        else:
            sql = (
                f"SELECT id, s, doc FROM (SELECT id, {query.sort} AS s, doc FROM {query.table} WHERE {query.filters})"
                f" WHERE {keyset} ORDER BY s {direction}, id {direction} LIMIT {bind(limit)} OFFSET {bind(offset)}"
            )
        with self.read() as conn:
            return conn.execute(sql, bind.params).fetchall()

    def count_rows(self, query: ListQuery) -> int:
        with self.read() as conn:
            sql = f"SELECT count(*) FROM {query.table} WHERE {query.filters}"
            return conn.execute(sql, query.bind.params).fetchone()[0]

    def query_docs(self, sql: str, params: list | tuple) -> list[tuple]:
        with self.read() as conn:
            return conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: list | tuple):
        with self.read() as conn:
            row = conn.execute(sql, params).fetchone()
        return row[0] if row else None

    def record_counts(self) -> dict[str, int]:
        """Listed records per resource, keyed by public (stream) name."""
        return {BY_TABLE[table].public_name: count for table, count in self.counts.items()}

    # ---- mutations ----------------------------------------------------------------
    def _journal(self, conn: sqlite3.Connection, table: str, ids: list[int]) -> None:
        conn.executemany(
            f"INSERT OR IGNORE INTO pristine (tbl, {_COLS}) SELECT ?, {_COLS} FROM {table} WHERE id = ?"
            " AND id NOT IN (SELECT id FROM created WHERE tbl = ?)",
            [(table, i, table) for i in ids],
        )

    def resolve_table(self, name: str) -> str:
        key = name.replace("-", "_")
        if key in BY_TABLE:
            return key
        if name in BY_HUB_PATH:
            return BY_HUB_PATH[name].table
        raise StoreError(f"unknown resource {name!r}")

    def _choose_ids(self, conn, table: str, count: int, rng: random.Random) -> list[int]:
        total = self.counts[table]
        if total == 0 or count <= 0:
            return []
        count = min(count, total)
        offsets = sorted(rng.sample(range(total), count))
        base = self.min_pos[table]
        ids = []
        for off in offsets:
            row = conn.execute(f"SELECT id FROM {table} WHERE pos = ?", (base + off,)).fetchone()
            if row:
                ids.append(row[0])
        return ids

    def mutate(self, resource: str, count: int = 1, ids: list[int] | None = None) -> list[int]:
        """Change records the way the real service changes them; returns their ids."""
        table = self.resolve_table(resource)
        handler = {
            "sends": self._mutate_send,
            "groups": self._mutate_group,
            "users": self._mutate_user,
            "touches": self._mutate_touch,
        }.get(table)
        if handler is None and "updated_at" not in BY_TABLE[table].fields:
            raise StoreError(f"resource {resource!r} cannot be mutated")
        handler = handler or self._mutate_timed
        with self._write_lock:
            self._mutation_counter += 1
            rng = random.Random(f"sendoso-sandbox/{self.seed}/mutate/{table}/{self._mutation_counter}")
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                if ids is None:
                    chosen = self._choose_ids(conn, table, count, rng)
                else:
                    chosen = [int(i) for i in ids]
                done = []
                self._journal(conn, table, chosen)
                for record_id in chosen:
                    row = conn.execute(f"SELECT doc, updated_ms FROM {table} WHERE id = ?", (record_id,)).fetchone()
                    if row is None:
                        continue
                    handler(conn, table, record_id, json.loads(row[0]), row[1], rng)
                    done.append(record_id)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return done

    @staticmethod
    def _later(previous_ms: int | None) -> int:
        # "now", but strictly after the record's previous change so histories stay ascending.
        now = now_ms()
        if previous_ms is not None and now <= previous_ms:
            now = previous_ms + 1
        return now

    def _mutate_send(self, conn, table, record_id, doc, updated_ms, rng) -> None:
        at = self._later(updated_ms)
        offset = _offset_minutes(doc["created_at"])
        status = data.NEXT_STATUS.get(doc["status"], "Delivered")
        occurred = format_sendoso(at, offset)
        doc["status"] = status
        doc["status_updates"].append({"status": status, "occurred_at": occurred})
        cents = int(doc["current_total_cost"].replace(".", ""))
        doc["current_total_cost"] = data.money(max(0, cents + rng.randrange(-500, 1500)))
        conn.execute(
            "UPDATE sends SET doc = ?, updated_ms = ?, updated_at = ? WHERE id = ?",
            (data.dumps(doc), at, occurred, record_id),
        )

    def _bump(self, conn, table, record_id, doc, updated_ms) -> None:
        at = self._later(updated_ms)
        doc["updated_at"] = format_sendoso(at, _offset_minutes(doc["updated_at"]))
        conn.execute(
            f"UPDATE {table} SET doc = ?, updated_ms = ?, updated_at = ? WHERE id = ?",
            (data.dumps(doc), at, doc["updated_at"], record_id),
        )

    def _mutate_group(self, conn, table, record_id, doc, updated_ms, rng) -> None:
        doc["budget"] = float(doc["budget"] + rng.choice((-500, 250, 500, 1000)))
        self._bump(conn, table, record_id, doc, updated_ms)

    def _mutate_timed(self, conn, table, record_id, doc, updated_ms, rng) -> None:
        if "phone" in doc:
            doc["phone"] = f"+1-555-{rng.randrange(100, 999)}-{rng.randrange(1000, 9999)}"
        elif "status" in doc:
            doc["status"] = rng.choice(("active", "archived", "pending", "COMPLETED"))
        elif "name" in doc:
            doc["name"] = doc["name"] + " (edited)"
        self._bump(conn, table, record_id, doc, updated_ms)

    def _mutate_user(self, conn, table, record_id, doc, updated_ms, rng) -> None:
        # Users have no updated_at; a rename shows up in users, members and me.
        doc["last_name"] = rng.choice(data.LAST_NAMES)
        conn.execute("UPDATE users SET doc = ? WHERE id = ?", (data.dumps(doc), record_id))
        for other in ("members", "me"):
            row = conn.execute(f"SELECT doc FROM {other} WHERE id = ?", (record_id,)).fetchone()
            if row:
                self._journal(conn, other, [record_id])
                other_doc = json.loads(row[0])
                other_doc["last_name"] = doc["last_name"]
                conn.execute(f"UPDATE {other} SET doc = ? WHERE id = ?", (data.dumps(other_doc), record_id))

    def _mutate_touch(self, conn, table, record_id, doc, updated_ms, rng) -> None:
        doc["description"] = doc["description"].split(" (rev")[0] + f" (rev {rng.randrange(2, 99)})"
        conn.execute("UPDATE touches SET doc = ? WHERE id = ?", (data.dumps(doc), record_id))

    def create_sends(self, count: int) -> list[int]:
        """New sends, created now: they go to the FRONT of the newest-first listing,
        shifting every page (as on the real API)."""
        if count <= 0:
            return []
        with self._write_lock:
            self._mutation_counter += 1
            rng = random.Random(f"sendoso-sandbox/{self.seed}/create/{self._mutation_counter}")
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                max_id, max_ms = conn.execute("SELECT coalesce(max(id), 100000), max(created_ms) FROM sends").fetchone()
                templates = conn.execute("SELECT doc FROM sends WHERE pos >= ? ORDER BY pos LIMIT 50", (self.min_pos["sends"],)).fetchall()
                if not templates:
                    gen = data.Generator(self.seed, max(1, self.scale))
                    templates = [(row[-1],) for row in next(gen.send_batches(1))]
                ids = []
                pos = self.min_pos["sends"]
                created_ms = self._later(max_ms)
                for _ in range(count):
                    max_id += 1
                    pos -= 1
                    doc = json.loads(rng.choice(templates)[0])
                    offset = _offset_minutes(doc["created_at"])
                    doc["id"] = max_id
                    doc["send_gid"] = base64.b64encode(f"gid://sendoso/Send/{max_id}".encode()).decode()
                    doc["status"] = "Processing"
                    doc["created_at"] = format_sendoso(created_ms, offset)
                    doc["status_updates"] = []
                    conn.execute(
                        f"INSERT INTO sends ({_COLS}) VALUES ({_MARKS})",
                        (max_id, pos, None, created_ms, created_ms, doc["created_at"], data.dumps(doc)),
                    )
                    conn.execute("INSERT INTO created VALUES ('sends', ?)", (max_id,))
                    ids.append(max_id)
                    created_ms += 1
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            self.min_pos["sends"] = pos
            self.counts["sends"] += count
        return ids

    def reset(self) -> None:
        with self._write_lock:
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                for (table,) in conn.execute("SELECT DISTINCT tbl FROM created").fetchall():
                    conn.execute(f"DELETE FROM {table} WHERE id IN (SELECT id FROM created WHERE tbl = ?)", (table,))
                for (table,) in conn.execute("SELECT DISTINCT tbl FROM pristine").fetchall():
                    conn.execute(
                        f"INSERT OR REPLACE INTO {table} ({_COLS}) SELECT {_COLS} FROM pristine WHERE tbl = ?",
                        (table,),
                    )
                conn.execute("DELETE FROM created")
                conn.execute("DELETE FROM pristine")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            self._mutation_counter = 0
            self._load_bookkeeping()
