/* Staff clause search: /api/search with document/section filters, highlights, permalinks, copy. */
(function () {
  "use strict";
  var Q = window.PolicyQA;
  var el = Q.el;

  var form = document.getElementById("search-form");
  var q = document.getElementById("q");
  var docSelect = document.getElementById("doc");
  var sectionSelect = document.getElementById("section");
  var statusLine = document.getElementById("search-status");
  var results = document.getElementById("results");
  var documents = [];

  function fillSections() {
    var chosen = docSelect.value;
    var current = sectionSelect.value;
    var seen = {};
    var sections = [];
    documents.forEach(function (d) {
      if (chosen && d.doc_id !== chosen) return;
      d.sections.forEach(function (s) { if (!seen[s]) { seen[s] = true; sections.push(s); } });
    });
    sectionSelect.replaceChildren(el("option", { value: "", text: "全部部分" }));
    sections.forEach(function (s) { sectionSelect.appendChild(el("option", { value: s, text: s })); });
    if (seen[current]) sectionSelect.value = current;
  }

  async function loadDocuments() {
    try {
      var data = await Q.api("/api/documents");
      documents = data.documents;
      documents.forEach(function (d) { docSelect.appendChild(el("option", { value: d.doc_id, text: d.title })); });
      fillSections();
    } catch (err) {
      statusLine.textContent = "文件列表加载失败：" + err.message;
    }
  }

  function permalink(r) {
    return "/staff#" + encodeURIComponent(r.doc_id) + "/" + Q.clauseRef(r.clause, r.sub);
  }

  async function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return;
    }
    var area = el("textarea", { class: "visually-hidden", readonly: true });
    area.value = text;
    document.body.appendChild(area);
    area.select();
    var ok = document.execCommand && document.execCommand("copy");
    area.remove();
    if (!ok) throw new Error("copy failed");
  }

  function renderResult(r) {
    var citation = r.reference + "：" + r.text;
    var feedback = el("span", { class: "copied", role: "status" });
    var item = el("li", { class: "result", id: "r-" + r.doc_id + "-" + r.clause, "data-clause": String(r.clause) }, [
      el("h2", {}, [r.clause ? "第" + r.clause + "条「" + r.title + "」" : "总体要求"]),
      el("p", { class: "meta", text: "《" + r.doc + "》 · " + (r.section || "—") }),
      el("p", { class: "text" }, [Q.highlighted(r.text, r.highlights)]),
      el("div", { class: "actions" }, [
        el("a", { href: permalink(r), class: "permalink", text: "条款链接", "aria-label": "条款链接：" + r.reference }),
        el("button", {
          type: "button", class: "btn btn-secondary btn-small copy-citation", text: "复制引用",
          "aria-label": "复制引用：" + r.reference,
          onclick: function () {
            copyText(citation).then(function () { feedback.textContent = "已复制"; })
              .catch(function () { feedback.textContent = "复制失败，请手动选择文字复制"; });
          },
        }),
        feedback,
      ]),
    ]);
    return item;
  }

  async function search() {
    var query = q.value.trim();
    if (!query) { statusLine.textContent = "请输入关键词。"; q.focus(); return; }
    var params = new URLSearchParams({ q: query, limit: "20" });
    if (docSelect.value) params.set("doc", docSelect.value);
    if (sectionSelect.value) params.set("section", sectionSelect.value);
    statusLine.textContent = "正在检索…";
    results.replaceChildren();
    try {
      var data = await Q.api("/api/search?" + params.toString());
      data.results.forEach(function (r) { results.appendChild(renderResult(r)); });
      statusLine.textContent = data.results.length
        ? "找到 " + data.results.length + " 条相关条款。"
        : "没有找到包含“" + query + "”的条款，请换个关键词或放宽筛选。";
    } catch (err) {
      statusLine.textContent = "检索失败：" + err.message;
    }
  }

  /** #<doc_id>/<n> → open that clause (permalinks). */
  function openFromHash() {
    var m = /^#([^/]+)\/(\d+(?:-\d+)?)$/.exec(location.hash);
    if (m) Q.openClause(decodeURIComponent(m[1]), m[2], null, q);
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); search(); });
  docSelect.addEventListener("change", fillSections);
  window.addEventListener("hashchange", openFromHash);
  Q.setupClauseDialog();
  loadDocuments();
  var initial = new URLSearchParams(location.search).get("q");
  if (initial) { q.value = initial; search(); }
  openFromHash();
})();
