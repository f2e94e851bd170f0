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


def test_dense_weight_reaches_the_retriever(monkeypatch, tmp_path):
    from policyqa.engine import QAEngine
    from pqtest import make_settings

    monkeypatch.setenv("POLICYQA_DENSE_WEIGHT", "1.2")
    assert Settings().dense_weight == 1.2
    monkeypatch.setenv("POLICYQA_DENSE_WEIGHT", "-1")
    with pytest.raises(ValidationError):
        Settings()
    monkeypatch.delenv("POLICYQA_DENSE_WEIGHT")
    engine = QAEngine.load(make_settings(tmp_path, dense_weight=0.9))
    assert engine.retriever.dense_weight == 0.9
