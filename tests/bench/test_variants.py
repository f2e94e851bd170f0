"""Bench-only retrieval variants: applied for a ``with`` block, restored after (no datasets needed)."""

from policyqa.bench.quality import parse_variant as quality_parse_variant
from policyqa.bench.variants import parse_variant, variant_patches


def test_parse_variant_reads_name_value_pairs():
    assert parse_variant(" chunk=300, docprior=0.3,,k1=1.5 ") == {"chunk": 300.0, "docprior": 0.3, "k1": 1.5}
    assert parse_variant("") == {}
    assert quality_parse_variant is parse_variant  # still importable from its old home


def test_variant_patches_are_restored():
    import policyqa.engine as engine
    import policyqa.indexer as eng
    import policyqa.query as query
    import policyqa.retrieval as retr

    before = (eng.chunk_clauses, eng.SparseIndex, eng.Segmenter, engine.Segmenter, retr.W_DENSE, query.EXPANSION_WEIGHT)
    with variant_patches(parse_variant("chunk=300,k1=1.5,bigram=1,W_DENSE=0.5,EXPANSION_WEIGHT=0.9")):
        assert retr.W_DENSE == 0.5 and query.EXPANSION_WEIGHT == 0.9 and eng.SparseIndex is not before[1]
        assert eng.Segmenter is engine.Segmenter is not before[2]
    assert (eng.chunk_clauses, eng.SparseIndex, eng.Segmenter, engine.Segmenter, retr.W_DENSE, query.EXPANSION_WEIGHT) == before
