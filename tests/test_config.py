import pytest
from pydantic import ValidationError

from policyqa.config import Settings


@pytest.mark.parametrize("raw", ["https://a.gov.cn,https://b.gov.cn", '["https://a.gov.cn", "https://b.gov.cn"]'])
def test_cors_origins_from_env_comma_or_json(monkeypatch, raw):
    monkeypatch.setenv("POLICYQA_CORS_ORIGINS", raw)
    assert Settings().cors_origins == ["https://a.gov.cn", "https://b.gov.cn"]


def test_env_prefix_and_types(monkeypatch):
    monkeypatch.setenv("POLICYQA_TOP_K", "7")
    monkeypatch.setenv("POLICYQA_EMBEDDER", "hash")
    s = Settings()
    assert s.top_k == 7 and s.embedder == "hash"


def test_bad_values_are_rejected(monkeypatch):
    monkeypatch.setenv("POLICYQA_EMBEDDER", "gpt")
    with pytest.raises(ValidationError):
        Settings()
    monkeypatch.delenv("POLICYQA_EMBEDDER")
    with pytest.raises(ValidationError, match="43"):
        Settings(wechat_aes_key="short")
