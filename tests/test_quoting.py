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


def test_a_quote_pointing_back_to_the_paragraph_before_is_quoted_with_it():
    from policyqa.documents.structure import split_sentences
    from policyqa.models import Clause, ClausePart, Hit
    from policyqa.quoting import Candidate, _with_antecedents

    text = ("物业服务企业应当向业主委员会移交下列材料和财物：\n（一）竣工验收资料；\n（二）物业服务档案。\n"
            "业主委员会应当将前款所列资料和财物移交重新选聘的物业服务企业。")
    lines = text.split("\n")

    def part(kind, label, piece):
        start = text.index(piece)
        return ClausePart(kind, label, start, start + len(piece))

    parts = (part("paragraph", "", lines[0]), part("item", "（一）", lines[1]), part("item", "（二）", lines[2]),
             part("paragraph", "", lines[3]))
    clause = Clause("d", 24, "第二十四条", "", "", "", text, 0, len(text), split_sentences(text), parts=parts)
    back = next(s for s in clause.sentences if "前款" in s.text)
    (quote,) = _with_antecedents([Candidate(Hit(clause, "宁夏回族自治区物业管理条例", 1.0), back, 1.0)])
    assert quote.sentence.text.startswith("物业服务企业应当向业主委员会移交下列材料和财物")
    assert "（二）物业服务档案" in quote.sentence.text and quote.sentence.text.endswith("物业服务企业。")
    assert quote.sentence.text == text[quote.sentence.start : quote.sentence.end]
