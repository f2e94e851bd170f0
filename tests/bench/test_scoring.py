"""Bench scoring helpers that need no shared datasets."""

from policyqa.bench.datasets import Dataset, Question
from policyqa.bench.scoring import miss_analysis

NOTICE = "关于阶段性减免企业社会保险费的通知。各省人民政府：为支持企业复工复产，现就阶段性减免企业社会保险费有关问题通知如下。"


def test_miss_analysis_counts_near_copies_and_answer_bearing_documents():
    docs = {
        "gold": NOTICE,
        "copy": "【发文单位】人社部 " + NOTICE,  # the same notice republished with a header
        "other": "各地要为企业复工复产提供便利，现就阶段性减免企业社会保险费有关问题通知如下。另有安排。",
        "far": "天津市A级旅游景区对医务工作者免门票。",
    }
    ds = Dataset("t", docs, [Question("q", "怎么减免社保费", frozenset({"gold"}), "阶段性减免企业社会保险费")])
    misses = [
        {"got": ["copy"], "gold": ["gold"], "answer": "阶段性减免企业社会保险费"},
        {"got": ["other"], "gold": ["gold"], "answer": "阶段性减免企业社会保险费"},
        {"got": ["far"], "gold": ["gold"], "answer": "阶段性减免企业社会保险费"},
        {"got": [], "gold": ["gold"], "answer": ""},
    ]
    assert miss_analysis(ds, misses) == {"misses": 4, "near_duplicate_of_gold": 1, "answer_in_top_document": 2}
