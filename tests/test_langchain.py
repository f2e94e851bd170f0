"""LangChain adapters inside a small runnable chain."""

from langchain_core.runnables import RunnableLambda

from policyqa.integrations.langchain import PolicyEmbeddings, PolicyRetriever


def test_retriever_in_a_runnable_chain(engine):
    retriever = PolicyRetriever(engine=engine, k=3)

    def cite(docs):
        return [d.metadata["citation"] for d in docs]

    chain = retriever | RunnableLambda(cite)
    out = chain.invoke("保租房给谁住")
    assert len(out) == 3 and "第5条「完善住房保障体系」" in out[0]


def test_retriever_filters_by_section(engine):
    docs = PolicyRetriever(engine=engine, k=5, section="四、").invoke("垃圾分类")
    assert docs and all(d.metadata["section"].startswith("四、") for d in docs)


def test_embeddings_adapter(engine):
    emb = PolicyEmbeddings(engine.embedder)
    vecs = emb.embed_documents(["供热", "供水"])
    assert len(vecs) == 2 and len(vecs[0]) == engine.embedder.dimension
    assert len(emb.embed_query("暖气")) == engine.embedder.dimension


def test_langchain_faiss_vector_store_with_our_embeddings(engine):
    from langchain_community.vectorstores import FAISS

    store = FAISS.from_texts(["深入开展供热领域突出问题专项整治", "推广BIM技术"], PolicyEmbeddings(engine.embedder))
    assert store.similarity_search("供热整治", k=1)[0].page_content.startswith("深入开展供热")
