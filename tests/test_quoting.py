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


def _clause_of(text: str, number: int = 24, doc: str = "d"):
    from policyqa.documents.structure import split_sentences
    from policyqa.models import Clause

    return Clause(doc, number, f"第{number}条", "", "", "", text, 0, len(text), split_sentences(text))


def test_a_quote_opening_on_the_case_left_over_is_quoted_with_the_sentence_before():
    from policyqa.models import Hit
    from policyqa.quoting import Candidate, _with_antecedents

    text = ("因供热单位原因，造成热用户室内温度不达标的处置，双方有合同约定的，从其约定；"
            "无合同约定的，供热单位应当按日向热用户退还日标准采暖费的百分之五十。\n室温检测办法另行制定。")
    clause = _clause_of(text)
    leftover = next(s for s in clause.sentences if s.text.startswith("无合同约定的"))
    (quote,) = _with_antecedents([Candidate(Hit(clause, "供热条例", 1.0), leftover, 1.0)])
    assert quote.sentence.text.startswith("因供热单位原因") and quote.sentence.text.endswith("百分之五十。")
    # a chain of premises goes back to the sentence that names the act; never across a paragraph
    text = "燃气用户擅自改动燃气设施的，责令限期改正；逾期不改正的，处1000元以下罚款；造成损失的，依法承担赔偿责任。"
    clause = _clause_of(text)
    last = clause.sentences[-1]
    (quote,) = _with_antecedents([Candidate(Hit(clause, "燃气条例", 1.0), last, 1.0)])
    assert quote.sentence.text == text
    clause = _clause_of("前一段。\n造成损失的，依法承担赔偿责任。")
    (quote,) = _with_antecedents([Candidate(Hit(clause, "条例", 1.0), clause.sentences[-1], 1.0)])
    assert quote.sentence.text == "造成损失的，依法承担赔偿责任。"


def test_one_partys_sanction_is_quoted_with_the_other_partys_after_it():
    from policyqa.models import Hit
    from policyqa.quoting import Candidate, _with_antecedents

    text = ("个人有前款规定行为之一的，处一千元以上一万元以下的罚款；单位有前款规定行为之一的，处五万元以上二十万元以下的罚款。"
            "\n其他段落。")
    clause = _clause_of(text)
    person = clause.sentences[0]
    (quote,) = _with_antecedents([Candidate(Hit(clause, "物业条例", 1.0), person, 1.0)])
    assert quote.sentence.text.endswith("单位有前款规定行为之一的，处五万元以上二十万元以下的罚款。")
    # not past a paragraph, and not a second sentence on the same party
    clause = _clause_of("个人违反规定的，处一千元罚款。\n单位违反规定的，处一万元罚款。")
    (quote,) = _with_antecedents([Candidate(Hit(clause, "条例", 1.0), clause.sentences[0], 1.0)])
    assert quote.sentence.text == "个人违反规定的，处一千元罚款。"
    clause = _clause_of("个人违反规定的，处一千元罚款；个人再次违反的，处二千元罚款。")
    (quote,) = _with_antecedents([Candidate(Hit(clause, "条例", 1.0), clause.sentences[0], 1.0)])
    assert quote.sentence.text == "个人违反规定的，处一千元罚款；"


def test_an_order_to_correct_is_quoted_with_the_sanction_for_not_correcting():
    from policyqa.models import Hit
    from policyqa.quoting import Candidate, _with_antecedents

    text = ("违反本条例规定，燃气用户及相关单位和个人有下列行为之一的，由燃气管理部门责令限期改正；逾期不改正的，"
            "对单位可以处10万元以下罚款，对个人可以处1000元以下罚款；造成损失的，依法承担赔偿责任：")
    clause = _clause_of(text)
    (quote,) = _with_antecedents([Candidate(Hit(clause, "城镇燃气管理条例", 1.0), clause.sentences[0], 1.0)])
    assert quote.sentence.text.endswith("对个人可以处1000元以下罚款；")
    clause = _clause_of("由主管部门责令限期改正；处1万元罚款。")  # no 逾期: nothing added
    (quote,) = _with_antecedents([Candidate(Hit(clause, "条例", 1.0), clause.sentences[0], 1.0)])
    assert quote.sentence.text == "由主管部门责令限期改正；"


def test_an_article_stating_the_asked_detail_leads_when_it_ranks_next_to_one_that_does_not():
    from policyqa.intent import asked_types
    from policyqa.models import Hit
    from policyqa.query import QueryAnalysis
    from policyqa.quoting import Candidate
    from policyqa.retrieval import Retrieval

    q = "新房子墙面裂缝，开发商保修几年？"
    a = QueryAnalysis(q, q, (), (), (), {}, False, answer_types=asked_types(q))
    vague = _clause_of("住宅质量保证书应当列明保修范围、保修期和保修单位等内容。", 30, "dev")
    stated = _clause_of("屋面防水工程、有防水要求的卫生间、房间和外墙面的防渗漏，为5年。", 40, "quality")
    for second_score, leads in ((0.99, "quality"), (0.8, "dev")):
        hits = (Hit(vague, "开发条例", 1.0), Hit(stated, "质量条例", second_score))
        picks = [Candidate(h, h.clause.sentences[0], 1.0) for h in hits]
        r = Retrieval(a, hits, 0.5, 0.5, {})
        assert answering._detail_first(r, picks)[0].hit.clause.doc_id == leads


def test_a_partial_never_says_not_stated_when_a_weaker_quote_states_it():
    from policyqa.intent import asked_types
    from policyqa.models import Hit
    from policyqa.query import QueryAnalysis
    from policyqa.quoting import Candidate
    from policyqa.retrieval import Retrieval

    q = "新房子墙皮裂了开发商保修几年"
    a = QueryAnalysis(q, q, (), (), (), {}, False, answer_types=asked_types(q))
    vague = _clause_of("住宅质量保证书应当列明保修范围、保修期和保修单位等内容。", 30, "dev")
    stated = _clause_of("屋面防水工程、有防水要求的卫生间、房间和外墙面的防渗漏，为5年。", 40, "quality")
    hits = (Hit(vague, "开发条例", 1.0), Hit(stated, "质量条例", 0.5))
    picks = [Candidate(h, h.clause.sentences[0], 1.0) for h in hits]
    r = Retrieval(a, hits, 0.5, 0.5, {})
    assert answering.Answerer._missing_detail(r, picks) == answering.UNCERTAIN_DETAIL
    assert answering.Answerer._missing_detail(r, picks[:1]) == "具体期限"  # no quote states one

