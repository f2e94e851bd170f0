"""One error hierarchy.  The library raises these; adapters (CLI, HTTP, WeChat) translate them.

Every error carries a stable machine ``code`` and a human ``message`` (Chinese where a
citizen may read it).
"""

from __future__ import annotations


class PolicyQAError(Exception):
    """Base class of every error policyqa raises on purpose."""

    code = "policyqa_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class ConfigError(PolicyQAError):
    code = "config_error"


class DocumentParseError(PolicyQAError):
    """A source file could not be turned into text (scanned, encrypted, empty, corrupt, unsupported)."""

    code = "document_parse_error"

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class DocumentLimitError(DocumentParseError):
    """A document is bigger than a parsing limit allows (a decompression bomb, too many pages,
    too much text).  ``setting`` names the limit (``POLICYQA_MAX_EXPANDED_BYTES``), ``limit`` its value."""

    code = "document_limit_exceeded"

    def __init__(self, path: str, what: str, *, setting: str, limit: int) -> None:
        super().__init__(path, f"{what}，超过上限 {setting}={limit}")
        self.setting = setting
        self.limit = limit


class DuplicateDocumentError(PolicyQAError):
    code = "duplicate_document"


class DocumentNotFoundError(PolicyQAError):
    code = "document_not_found"


class ClauseNotFoundError(PolicyQAError):
    code = "clause_not_found"


class IndexNotFoundError(PolicyQAError):
    code = "index_not_found"


class IndexStaleError(PolicyQAError):
    """The corpus changed since the index was built and building was not allowed."""

    code = "index_stale"


class IndexMismatchError(PolicyQAError):
    """The index on disk was built with a different embedder (or format) than configured."""

    code = "index_mismatch"


class EmbedderError(PolicyQAError):
    code = "embedder_error"


class InvalidQuestionError(PolicyQAError):
    code = "invalid_question"


class IndexBusyError(PolicyQAError):
    code = "index_busy"


class IndexNotReadyError(PolicyQAError):
    """No engine is loaded yet (the first load is still running or it failed)."""

    code = "index_not_ready"


class DocumentTooLargeError(PolicyQAError):
    """An uploaded file is larger than ``settings.max_upload_bytes``."""

    code = "document_too_large"

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"文件过大（{size} 字节），上限为 {limit} 字节")
        self.size = size
        self.limit = limit


class UnsupportedDocumentTypeError(DocumentParseError):
    """The file name has a suffix no loader handles."""

    code = "unsupported_document_type"


class WeChatMessageError(PolicyQAError):
    """The (decrypted) message is not acceptable XML: malformed, or with DTD/entity declarations."""

    code = "wechat_bad_message"


class StateUnavailableError(PolicyQAError):
    """The shared state server (Redis, ``POLICYQA_REDIS_URL``) cannot be reached: sessions, rate
    limits and WeChat dedup cannot be trusted, so the request is refused (HTTP 503) rather than
    answered without them."""

    code = "state_unavailable"


class ReadOnlyReplicaError(PolicyQAError):
    """A corpus change was sent to a reader replica (``POLICYQA_ROLE=reader``): only the writer
    builds the index (HTTP 503)."""

    code = "read_only_replica"
