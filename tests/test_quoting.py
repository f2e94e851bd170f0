"""Quote selection (policyqa.quoting) on the shipped work plan: the quotes an answer cites, verbatim."""

from policyqa import answering, quoting
from policyqa.quoting import LONG_SENTENCE, Quoter, quotable_sentences


def test_answering_re_exports_quotable_sentences():
    assert answering.quotable_sentences is quoting.quotable_sentences


def test_the_answer_cites_what_the_quoter_selects(engine):
    question = "刚来城里工作租不起房怎么办"
    r = engine.retriever.retrieve(question, k=engine.settings.top_k, docs=engine.answer_docs)
    picks = Quoter(engine.retriever, engine.settings.max_quotes).select(r)
    answer = engine.ask(question)
    assert not answer.refused and 1 <= len(picks) <= engine.settings.max_quotes
    assert [c.sentence.text for c in picks] == [c.quote for c in answer.citations]
    assert [(c.hit.clause.doc_id, c.hit.clause.number) for c in picks] == [(c.doc_id, c.clause) for c in answer.citations]


def test_quotable_sentences_are_verbatim_and_long_ones_are_cut(engine):
    clauses = engine.store.clauses
    long_ones = [c for c in clauses if any(len(s.text) > LONG_SENTENCE for s in c.sentences)]
    assert long_ones  # the work plan has sentences longer than LONG_SENTENCE characters
    for clause in clauses:
        for s in quotable_sentences(clause):
            assert clause.text[s.start : s.end] == s.text
    assert all(len(s.text) < len(max(c.sentences, key=lambda x: len(x.text)).text)
               for c in long_ones for s in quotable_sentences(c))
