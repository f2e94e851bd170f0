/* Staff clause search: /api/search with document/level/status/section filters kept in the URL
 * (?q=…&doc=…&level=…&status=…&section=…&page=…), whole-term highlights, paging, permalinks, copy. */
(function () {
  "use strict";
  var Q = window.PolicyQA;
  var el = Q.el;
  var PAGE_SIZE = 10;
  var FETCH_LIMIT = 50; // the API's maximum; paging is done here
  var FILTERS = ["doc", "level", "status", "section"];

  var form = document.getElementById("search-form");
  var q = document.getElementById("q");
  var selects = {};
  FILTERS.forEach(function (name) { selects[name] = document.getElementById(name); });
  var statusLine = document.getElementById("search-status");
  var formError = document.getElementById("form-error");
  var results = document.getElementById("results");
  var legend = document.getElementById("legend");
  var pager = document.getElementById("pager");
  var pageInfo = document.getElementById("page-info");
  var documents = [];
  var current = { results: [], page: 1, query: "" };

  function fillSections() {
    var chosen = selects.doc.value;
    var level = selects.level.value;
    var keep = selects.section.value;
    var seen = {};
    var sections = [];
    documents.forEach(function (d) {
      if ((chosen && d.doc_id !== chosen) || (level && d.level !== level)) return;
      d.sections.forEach(function (s) { if (!seen[s]) { seen[s] = true; sections.push(s); } });
    });
    selects.section.replaceChildren(el("option", { value: "", text: "全部章节" }));
    sections.forEach(function (s) { selects.section.appendChild(el("option", { value: s, text: s, title: s })); });
    if (seen[keep]) selects.section.value = keep;
  }

  async function loadDocuments() {
    try {
      var data = await Q.api("/api/documents");
      documents = data.documents;
      var levels = [];
      documents.forEach(function (d) {
        var label = d.title + (d.version ? "（" + d.version + "）" : "") + (d.status !== "in_force" ? "［" + (Q.STATUS_TEXT[d.status] || d.status) + "］" : "");
        selects.doc.appendChild(el("option", { value: d.doc_id, text: label, title: label }));
        if (d.level && levels.indexOf(d.level) < 0) levels.push(d.level);
      });
      levels.forEach(function (l) { selects.level.appendChild(el("option", { value: l, text: l })); });
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

  /** Every occurrence of each whole query word in `text` (strong), then the API's spans: sub-words faint, single characters dropped. */
  function spansFor(text, query, highlights) {
    var words = query.split(/\s+/).filter(function (w) { return w.length > 0; });
    var spans = [];
    words.forEach(function (w) {
      var at = text.indexOf(w);
      while (at >= 0) { spans.push({ start: at, end: at + w.length, cls: "strong" }); at = text.indexOf(w, at + w.length); }
    });
    (highlights || []).forEach(function (h) {
      var term = h.term || text.slice(h.start, h.end);
      if (term.length < 2) return;
      var whole = words.indexOf(term) >= 0 || term.length >= 4; // a query word, or a compound phrase (装配式建筑)
      spans.push({ start: h.start, end: h.end, cls: whole ? "strong" : "faint" });
    });
    return spans;
  }

  function renderResult(r, query) {
    var citation = r.reference + "：" + r.text;
    var feedback = el("span", { class: "copied", role: "status" });
    var spans = spansFor(r.text, query, r.highlights);
    var exact = spans.some(function (s) { return s.cls === "strong"; });
    var heading = r.label && r.label.charAt(0) === "第" ? r.label + (r.title && r.title.indexOf("…") < 0 ? "　" + r.title : "")
      : (r.clause ? "第" + r.clause + "条「" + r.title + "」" : "总体要求");
    return el("li", { class: "result", id: "r-" + r.doc_id + "-" + Q.clauseRef(r.clause, r.sub), "data-clause": String(r.clause) }, [
      el("h2", {}, [heading, " ", Q.statusBadge(r.status, false), exact ? null : el("span", { class: "badge partial-match", text: "部分匹配" })]),
      el("p", { class: "meta", text: "《" + r.doc + "》" + (r.level ? " · " + r.level : "") + " · " + (r.section || "—") }),
      el("p", { class: "text" }, [Q.highlighted(r.text, spans)]),
      el("div", { class: "actions" }, [
        el("a", { href: permalink(r), class: "permalink", text: "条款链接", "aria-label": "条款链接：" + r.reference }),
        el("button", {
          type: "button", class: "btn btn-secondary btn-small copy-citation", text: "复制引用",
          "aria-label": "复制引用：" + r.reference, "data-reference": r.reference,
          onclick: function () {
            copyText(citation).then(function () { feedback.textContent = "已复制：" + r.reference; })
              .catch(function () { feedback.textContent = "复制失败，请手动选择文字复制"; });
          },
        }),
        feedback,
      ]),
    ]);
  }

  function showPage(page) {
    var total = current.results.length;
    var pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    current.page = Math.min(Math.max(1, page), pages);
    results.replaceChildren();
    current.results.slice((current.page - 1) * PAGE_SIZE, current.page * PAGE_SIZE).forEach(function (r) {
      results.appendChild(renderResult(r, current.query));
    });
    pager.hidden = pages <= 1;
    pageInfo.textContent = "第 " + current.page + " / " + pages + " 页";
    document.getElementById("prev").disabled = current.page <= 1;
    document.getElementById("next").disabled = current.page >= pages;
    legend.hidden = total === 0;
  }

  function stateFromForm(page) {
    var params = new URLSearchParams();
    var query = q.value.trim();
    if (query) params.set("q", query);
    FILTERS.forEach(function (name) { if (selects[name].value) params.set(name, selects[name].value); });
    if (page && page > 1) params.set("page", String(page));
    return params;
  }

  function writeUrl(params, push) {
    var url = location.pathname + (params.toString() ? "?" + params.toString() : "");
    if (url === location.pathname + location.search) return;
    if (push) history.pushState(null, "", url);
    else history.replaceState(null, "", url);
  }

  async function search(page, push) {
    formError.textContent = "";
    var query = q.value.trim();
    if (!query) { formError.textContent = "请输入关键词。"; q.focus(); return; }
    var params = stateFromForm(page);
    writeUrl(params, push);
    var api = new URLSearchParams({ q: query, limit: String(FETCH_LIMIT) });
    FILTERS.forEach(function (name) { if (selects[name].value) api.set(name, selects[name].value); });
    statusLine.textContent = "正在检索…";
    results.replaceChildren();
    pager.hidden = true;
    try {
      var data = await Q.api("/api/search?" + api.toString());
      current = { results: data.results, page: 1, query: query };
      var n = data.results.length;
      statusLine.textContent = n
        ? "找到 " + n + (n >= FETCH_LIMIT ? "+" : "") + " 条相关条款" + (n >= FETCH_LIMIT ? "（显示最相关的 " + FETCH_LIMIT + " 条，可加筛选缩小范围）" : "") + "。"
        : "没有找到包含“" + query + "”的条款，请换个关键词或放宽筛选。";
      showPage(page || 1);
    } catch (err) {
      statusLine.textContent = "检索失败：" + err.message;
    }
  }

  function goToPage(page) {
    showPage(page);
    writeUrl(stateFromForm(current.page), true);
    results.scrollIntoView({ block: "start" });
  }

  /** A ?doc= value as /api/search reads it: a doc_id, or a title (exact first, then a part of one;
   * the text in force before older ones) → its doc_id; "" when nothing matches. */
  function docIdOf(value) {
    if (!value || documents.some(function (d) { return d.doc_id === value; })) return value;
    var matches = documents.filter(function (d) { return d.title === value; });
    if (!matches.length) matches = documents.filter(function (d) { return d.title.indexOf(value) >= 0; });
    matches.sort(function (a, b) { return (a.status !== "in_force") - (b.status !== "in_force"); });
    return matches.length ? matches[0].doc_id : "";
  }

  /** Fill the form from the URL (?q=…&doc=…) and search. */
  function fromUrl() {
    var params = new URLSearchParams(location.search);
    q.value = params.get("q") || "";
    ["doc", "level", "status"].forEach(function (name) { selects[name].value = params.get(name) || ""; });
    selects.doc.value = docIdOf(params.get("doc") || "");
    fillSections();
    var section = params.get("section") || "";
    if (section && !Array.prototype.some.call(selects.section.options, function (o) { return o.value === section; })) {
      selects.section.appendChild(el("option", { value: section, text: section }));
    }
    selects.section.value = section;
    if (q.value) search(Number(params.get("page")) || 1, false);
  }

  /** #<doc_id>/<n> → open that clause (permalinks). */
  function openFromHash() {
    var m = /^#([^/]+)\/(\d+(?:-\d+)?)$/.exec(location.hash);
    if (m) Q.openClause(decodeURIComponent(m[1]), m[2], null, q);
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); search(1, true); });
  selects.doc.addEventListener("change", fillSections);
  selects.level.addEventListener("change", fillSections);
  document.getElementById("prev").addEventListener("click", function () { goToPage(current.page - 1); });
  document.getElementById("next").addEventListener("click", function () { goToPage(current.page + 1); });
  window.addEventListener("hashchange", openFromHash);
  window.addEventListener("popstate", fromUrl);
  Q.setupClauseDialog();
  loadDocuments().then(fromUrl);
  openFromHash();
})();
