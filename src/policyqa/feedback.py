"""Citizen feedback and the "gap log": questions the corpus does not answer.

Two kinds of records, kept in one SQLite file (``settings.data_dir / "feedback.sqlite3"``):

* feedback: a citizen pressed 有用 (helpful) or 没用 (not helpful) under an answer;
* gaps: a question that was refused (nothing relevant found) or marked not helpful.
  Staff read :meth:`FeedbackLog.gaps` — questions grouped after light normalisation
  (NFKC, whitespace and trailing punctuation removed), most frequent first — to see
  what citizens ask that the published policies do not cover.

Both tables are bounded: records older than ``retention_days`` (default 180) are deleted, and
each table keeps at most ``max_rows`` records (default 100,000; the oldest go first).  With the
clipped field lengths below that caps the file at roughly ``max_rows × 15 kB`` in the worst case
(≈ 9 kB per vote with a comment, ≈ 6 kB per gap, all CJK at full length; SQLite reuses freed
pages, so the file does not grow past its peak).  The purge runs when
the log is opened and after every :data:`PURGE_EVERY` writes.

One connection is shared between threads behind a lock (``check_same_thread=False``); WAL
mode lets several server processes on one host share the file.  Replicas on several machines
share one PostgreSQL database instead (``POLICYQA_DATABASE_URL=postgresql://…``, through the
maintained ``psycopg`` driver, ``pip install 'policyqa[postgres]'``): the same two tables, the
same bounds; a broken connection is reopened at the next call.  :meth:`FeedbackLog.from_settings`
picks one.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .config import Settings

logger = logging.getLogger(__name__)

FEEDBACK_FILENAME = "feedback.sqlite3"
MAX_QUESTION_CHARS = 1000
MAX_COMMENT_CHARS = 2000
MAX_FIELD_CHARS = 100  # session ids, reasons, sources
DEFAULT_RETENTION_DAYS = 180
DEFAULT_MAX_ROWS = 100_000
PURGE_EVERY = 100  # writes between purges
_TABLES = ("feedback", "gaps")

_TRAILING = "?？!！。.,，;；:：~～ \t\r\n"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at REAL NOT NULL,
    session_id TEXT NOT NULL,
    question TEXT NOT NULL,
    helpful INTEGER NOT NULL,
    comment TEXT
);
CREATE TABLE IF NOT EXISTS gaps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at REAL NOT NULL,
    question TEXT NOT NULL,
    normalized TEXT NOT NULL,
    reason TEXT NOT NULL,
    source TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS gaps_normalized ON gaps (normalized);
"""


def _unavailable() -> Exception:
    from .errors import StateUnavailableError

    return StateUnavailableError("反馈记录数据库暂时不可用，请稍后再试", code="database_unavailable")


_POSTGRES_URL = re.compile(r"^postgres(ql)?(\+psycopg)?://")


def _postgres_schema() -> list[str]:
    text = (_SCHEMA.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY")
            .replace("REAL NOT NULL", "DOUBLE PRECISION NOT NULL"))
    return [statement.strip() for statement in text.split(";") if statement.strip()]


@dataclass(frozen=True)
class FeedbackEntry:
    """One 有用/没用 vote."""

    session_id: str
    question: str
    helpful: bool
    comment: str | None
    created_at: datetime


@dataclass(frozen=True)
class Gap:
    """A question (group of equal questions after normalisation) the corpus did not answer.

    ``question`` is the most recent wording; ``reasons`` e.g. ``("refused", "unhelpful")``;
    ``sources`` the channels it came from (``web``, ``wechat``, ``api``).
    """

    question: str
    count: int
    first_seen: datetime
    last_seen: datetime
    reasons: tuple[str, ...]
    sources: tuple[str, ...]


def normalize_question(question: str) -> str:
    """The grouping key of a question: NFKC, lower case, no inner whitespace, no trailing punctuation."""
    text = unicodedata.normalize("NFKC", question).lower()
    text = "".join(text.split())
    return text.rstrip(_TRAILING)


def _clip(value: str, limit: int) -> str:
    return value[:limit]


def _to_datetime(stamp: float) -> datetime:
    return datetime.fromtimestamp(stamp, tz=UTC)


class FeedbackLog:
    """Thread-safe store of feedback and gaps in one SQLite file — or, when ``path`` is a
    ``postgresql://`` URL, one PostgreSQL database — bounded by age (``retention_days``) and
    size (``max_rows`` per table)."""

    def __init__(self, path: Path | str, *, clock: Callable[[], float] = time.time,
                 retention_days: float = DEFAULT_RETENTION_DAYS, max_rows: int = DEFAULT_MAX_ROWS) -> None:
        if retention_days <= 0 or max_rows < 1:
            raise ValueError("retention_days must be > 0 and max_rows >= 1")
        self.path = Path(path)
        self.retention_days = retention_days
        self.max_rows = int(max_rows)
        self._clock = clock
        self._lock = threading.Lock()
        self._writes = 0
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._url = str(path) if _POSTGRES_URL.match(str(path)) else ""
        if self._url:
            self.path = Path("postgresql")  # never a file; see ``database`` for where it is
        elif str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn: Any = None
        with self._lock:
            self._db()
            if self._url:
                self._create_postgres_schema()
            else:
                if str(path) != ":memory:":
                    self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.executescript(_SCHEMA)
                self._commit()
        self.purge()

    @property
    def database(self) -> str:
        """``postgresql://host:port/db`` (no password) or the SQLite file path."""
        if not self._url:
            return str(self.path)
        from urllib.parse import urlsplit

        parts = urlsplit(self._url)
        return f"postgresql://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}{parts.path}"

    @classmethod
    def from_settings(cls, settings: Settings) -> FeedbackLog:
        """PostgreSQL at ``settings.database_url`` when set, else ``data_dir/feedback.sqlite3``;
        bounded by ``feedback_retention_days`` / ``feedback_max_rows``."""
        bounds = {"retention_days": settings.feedback_retention_days, "max_rows": settings.feedback_max_rows}
        if settings.database_url:
            return cls(settings.database_url, **bounds)  # type: ignore[arg-type]
        return cls.in_dir(settings.data_dir, **bounds)

    def _db(self) -> Any:
        """The open connection (PostgreSQL: reopened when broken).  Call under the lock."""
        if not self._url:
            if self._conn is None:
                self._conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=10.0)
            return self._conn
        if self._conn is None or self._conn.closed or self._conn.broken:
            try:
                import psycopg
            except ImportError as exc:  # pragma: no cover - depends on the installation
                from .errors import ConfigError

                raise ConfigError("POLICYQA_DATABASE_URL is set but psycopg is missing: "
                                  "pip install 'policyqa[postgres]'") from exc
            if self._conn is not None:
                logger.warning("feedback log: reconnecting to %s", self.database)
            try:
                self._conn = psycopg.connect(self._url, connect_timeout=5)
            except psycopg.OperationalError as exc:
                logger.error("feedback log: %s unreachable (%s)", self.database, type(exc).__name__)
                raise _unavailable() from exc
        return self._conn

    def _create_postgres_schema(self) -> None:
        import psycopg

        for attempt in range(3):  # replicas starting together may race on CREATE … IF NOT EXISTS
            try:
                for statement in _postgres_schema():
                    self._conn.execute(statement)
                self._commit()
                return
            except psycopg.errors.UniqueViolation:
                self._conn.rollback()
                if attempt == 2:
                    raise

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        """Run one statement (``?`` placeholders; ``%s`` for PostgreSQL).  Call under the lock."""
        if not self._url:
            return self._db().execute(sql, params)
        import psycopg

        conn = None
        try:
            conn = self._db()
            return conn.execute(sql.replace("?", "%s"), params)
        except psycopg.OperationalError as exc:  # server down or connection lost: reopened next call
            logger.error("feedback log: %s unreachable (%s)", self.database, type(exc).__name__)
            raise _unavailable() from exc
        except Exception:
            if conn is not None and not conn.broken:  # an aborted transaction would refuse every later statement
                conn.rollback()
            raise

    def _commit(self) -> None:
        if not self._url:
            self._db().commit()
            return
        import psycopg

        try:
            self._db().commit()
        except psycopg.OperationalError as exc:
            raise _unavailable() from exc

    @classmethod
    def in_dir(cls, data_dir: Path | str, **bounds: float) -> FeedbackLog:
        """The log at ``data_dir / "feedback.sqlite3"`` (the folder is created); ``bounds``:
        ``retention_days``, ``max_rows``."""
        return cls(Path(data_dir) / FEEDBACK_FILENAME, **bounds)  # type: ignore[arg-type]

    # -- bounds ----------------------------------------------------------------------------

    def purge(self) -> int:
        """Delete records past the retention age and beyond ``max_rows`` per table; the count deleted."""
        cutoff = self._clock() - self.retention_days * 86400.0
        deleted = 0
        with self._lock:
            for table in _TABLES:
                deleted += self._execute(f"DELETE FROM {table} WHERE created_at < ?", (cutoff,)).rowcount
                row = self._execute(
                    f"SELECT id FROM {table} ORDER BY id DESC LIMIT 1 OFFSET ?", (self.max_rows,)
                ).fetchone()
                if row is not None:
                    deleted += self._execute(f"DELETE FROM {table} WHERE id <= ?", (row[0],)).rowcount
            self._commit()
        if deleted:
            logger.info("feedback log: purged %d old records", deleted)
        return deleted

    def _wrote(self) -> None:
        """Count a write; purge every PURGE_EVERY writes (called outside the lock)."""
        with self._lock:
            self._writes += 1
            due = self._writes % PURGE_EVERY == 0
        if due:
            self.purge()

    def counts(self) -> dict[str, int]:
        """Records per table (``feedback``, ``gaps``)."""
        with self._lock:
            return {t: int(self._execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in _TABLES}

    # -- writing ---------------------------------------------------------------------------

    def record_feedback(
        self, session_id: str, question: str, helpful: bool, comment: str | None = None, *, source: str = "web"
    ) -> None:
        """Store a vote; an unhelpful vote also records the question as a gap (reason ``unhelpful``)."""
        now = self._clock()
        comment = _clip(comment.strip(), MAX_COMMENT_CHARS) if comment and comment.strip() else None
        with self._lock:
            self._execute(
                "INSERT INTO feedback (created_at, session_id, question, helpful, comment) VALUES (?, ?, ?, ?, ?)",
                (now, _clip(session_id, MAX_FIELD_CHARS), _clip(question.strip(), MAX_QUESTION_CHARS),
                 int(bool(helpful)), comment),
            )
            if not helpful:
                self._insert_gap(now, question, "unhelpful", source)
            self._commit()
        self._wrote()

    def record_gap(self, question: str, reason: str, source: str = "web") -> None:
        """Log a question the corpus did not answer (``reason``: ``refused``, ``unhelpful``, …)."""
        if not question.strip():
            return
        now = self._clock()
        with self._lock:
            self._insert_gap(now, question, reason, source)
            self._commit()
        self._wrote()

    def _insert_gap(self, now: float, question: str, reason: str, source: str) -> None:
        question = _clip(question.strip(), MAX_QUESTION_CHARS)
        key = normalize_question(question)
        if not key:
            return
        self._execute(
            "INSERT INTO gaps (created_at, question, normalized, reason, source) VALUES (?, ?, ?, ?, ?)",
            (now, question, key, _clip(reason, MAX_FIELD_CHARS), _clip(source, MAX_FIELD_CHARS)),
        )

    # -- reading ---------------------------------------------------------------------------

    def gaps(self, limit: int = 100) -> list[Gap]:
        """Unanswered questions grouped by :func:`normalize_question`, most frequent (then most recent) first."""
        limit = max(0, int(limit))
        with self._lock:
            groups = self._execute(
                "SELECT normalized, COUNT(*) AS n, MIN(created_at), MAX(created_at) FROM gaps "
                "GROUP BY normalized ORDER BY n DESC, MAX(created_at) DESC, normalized LIMIT ?",
                (limit,),
            ).fetchall()
            result: list[Gap] = []
            for key, count, first, last in groups:
                rows = self._execute(
                    "SELECT question, reason, source FROM gaps WHERE normalized = ? ORDER BY created_at DESC, id DESC",
                    (key,),
                ).fetchall()
                result.append(
                    Gap(
                        question=rows[0][0],
                        count=int(count),
                        first_seen=_to_datetime(first),
                        last_seen=_to_datetime(last),
                        reasons=tuple(sorted({r[1] for r in rows})),
                        sources=tuple(sorted({r[2] for r in rows})),
                    )
                )
        return result

    def feedback(self, limit: int = 100) -> list[FeedbackEntry]:
        """The most recent votes first."""
        with self._lock:
            rows = self._execute(
                "SELECT session_id, question, helpful, comment, created_at FROM feedback "
                "ORDER BY created_at DESC, id DESC LIMIT ?",
                (max(0, int(limit)),),
            ).fetchall()
        return [FeedbackEntry(r[0], r[1], bool(r[2]), r[3], _to_datetime(r[4])) for r in rows]

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()

    def __enter__(self) -> FeedbackLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
