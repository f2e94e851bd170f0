/* Shared helpers of the policyqa pages (plain ES2017, no build step). */
(function () {
  "use strict";

  /** fetch JSON; throws Error(message) with the API's {"error": {"message"}} on failure. */
  async function api(path, options) {
    var opts = Object.assign({ headers: {} }, options || {});
    if (opts.json !== undefined) {
      opts.method = opts.method || "POST";
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(opts.json);
      delete opts.json;
    }
    var response;
    try {
      response = await fetch(path, opts);
    } catch (err) {
      throw new Error("网络连接失败，请检查网络后重试。");
    }
    var data = null;
    try {
      data = await response.json();
    } catch (err) {
      data = null;
    }
    if (!response.ok) {
      var message = data && data.error && data.error.message ? data.error.message : "服务暂时不可用（" + response.status + "），请稍后再试。";
      var error = new Error(message);
      error.status = response.status;
      error.code = data && data.error ? data.error.code : "";
      throw error;
    }
    return data;
  }

  /** el("p", {class: "x", text: "..."}, [children]) — builds DOM without innerHTML. */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === undefined || value === null || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else if (key.slice(0, 2) === "on" && typeof value === "function") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  /**
   * A fragment of `text` with the [start, end) spans wrapped in <mark> (overlaps merged).
   * A span may carry `cls` ("strong" | "faint"): strong spans win over faint ones where they overlap.
   */
  function highlighted(text, spans) {
    var fragment = document.createDocumentFragment();
    var clean = (spans || [])
      .filter(function (s) { return s && s.end > s.start && s.start >= 0 && s.start < text.length; })
      .map(function (s) { return { start: s.start, end: Math.min(s.end, text.length), cls: s.cls || "" }; });
    function merge(list) {
      var merged = [];
      list.sort(function (a, b) { return a.start - b.start || b.end - a.end; }).forEach(function (s) {
        var last = merged[merged.length - 1];
        if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
        else merged.push({ start: s.start, end: s.end, cls: s.cls });
      });
      return merged;
    }
    var strong = merge(clean.filter(function (s) { return s.cls !== "faint"; }));
    var faint = merge(clean.filter(function (s) { return s.cls === "faint"; })).filter(function (f) {
      return !strong.some(function (s) { return f.start < s.end && s.start < f.end; });
    });
    var all = strong.concat(faint).sort(function (a, b) { return a.start - b.start; });
    var pos = 0;
    all.forEach(function (s) {
      if (s.start > pos) fragment.appendChild(document.createTextNode(text.slice(pos, s.start)));
      fragment.appendChild(el("mark", { class: s.cls || null, text: text.slice(s.start, s.end) }));
      pos = s.end;
    });
    if (pos < text.length) fragment.appendChild(document.createTextNode(text.slice(pos)));
    return fragment;
  }

  /** Validity of a text: in_force | superseded | repealed | not_yet_in_force → 现行有效 … */
  var STATUS_TEXT = { in_force: "现行有效", superseded: "已被修订", repealed: "已废止", not_yet_in_force: "尚未施行" };

  /** A small badge for a text's validity (null when in force and `quietInForce`). */
  function statusBadge(status, quietInForce) {
    if (!status || (quietInForce && status === "in_force")) return null;
    return el("span", { class: "badge status-" + status, text: STATUS_TEXT[status] || status });
  }

  /** Text nodes with 12345 (the government service hotline) turned into tel: links. */
  function withPhoneLinks(text) {
    var fragment = document.createDocumentFragment();
    text.split(/(12345)/).forEach(function (part) {
      if (part === "12345") fragment.appendChild(el("a", { href: "tel:12345", class: "tel", text: "12345" }));
      else if (part) fragment.appendChild(document.createTextNode(part));
    });
    return fragment;
  }

  function clauseApiPath(docId, number) {
    return "/api/documents/" + encodeURIComponent(docId) + "/clauses/" + encodeURIComponent(number);
  }

  /** 《住房租赁条例》第十条 (an official article label), 《文件》第N条「标题」 (a numbered plan) */
  function reference(doc, number, title, label) {
    if (label && label.charAt(0) === "第" && label.indexOf("条") > 0) return "《" + doc + "》" + label;
    return number ? "《" + doc + "》第" + number + "条「" + title + "」" : "《" + doc + "》总体要求";
  }

  /** The clause's address in URLs: 23, or 11-1 for 第十一条之一. */
  function clauseRef(number, sub) {
    return sub ? number + "-" + sub : String(number);
  }

  /**
   * Open the clause dialog (markup: dialog#clause-dialog with #clause-title, #clause-meta,
   * #clause-body, #clause-refs, .dialog-close) showing the full clause; `mark` = {start, end}
   * offsets into the clause text to highlight (a citation's quote).
   */
  async function openClause(docId, number, mark, opener) {
    var marks = !mark ? [] : Array.isArray(mark) ? mark : [mark];
    var dialog = document.getElementById("clause-dialog");
    var title = document.getElementById("clause-title");
    var meta = document.getElementById("clause-meta");
    var body = document.getElementById("clause-body");
    var refs = document.getElementById("clause-refs");
    title.textContent = "正在加载条款…";
    meta.textContent = "";
    body.textContent = "";
    refs.textContent = "";
    dialog.dataset.docId = docId;
    dialog.dataset.number = number;
    if (!dialog.open) {
      if (typeof dialog.showModal === "function") dialog.showModal();
      else dialog.setAttribute("open", "");
    }
    dialog._opener = opener || document.activeElement;
    try {
      var clause = await api(clauseApiPath(docId, number));
      title.textContent = clause.reference || reference(clause.doc, clause.number, clause.title, clause.label);
      meta.textContent = [clause.section, clause.subsection, STATUS_TEXT[clause.status] || ""].filter(Boolean).join(" · ") +
        (clause.page ? " · 第" + clause.page + "页" : "");
      body.appendChild(highlighted(clause.text, marks));
      if (clause.references && clause.references.length) {
        refs.textContent = "本条提到的文件：" + clause.references.map(function (r) { return "《" + r + "》"; }).join("、");
      }
      var first = body.querySelector("mark");
      if (first && first.scrollIntoView) first.scrollIntoView({ block: "center" });
    } catch (err) {
      title.textContent = "无法加载条款";
      body.textContent = err.message;
    }
  }

  function setupClauseDialog() {
    var dialog = document.getElementById("clause-dialog");
    if (!dialog) return;
    var close = function () {
      if (dialog.open && typeof dialog.close === "function") dialog.close();
      else dialog.removeAttribute("open");
    };
    dialog.querySelector(".dialog-close").addEventListener("click", close);
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) close(); // click on the backdrop
    });
    dialog.addEventListener("close", function () {
      var opener = dialog._opener;
      if (opener && typeof opener.focus === "function" && document.contains(opener)) opener.focus();
    });
  }

  window.PolicyQA = {
    api: api,
    el: el,
    highlighted: highlighted,
    STATUS_TEXT: STATUS_TEXT,
    statusBadge: statusBadge,
    withPhoneLinks: withPhoneLinks,
    reference: reference,
    clauseRef: clauseRef,
    clauseApiPath: clauseApiPath,
    openClause: openClause,
    setupClauseDialog: setupClauseDialog,
  };
})();
