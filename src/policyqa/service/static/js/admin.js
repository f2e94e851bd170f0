/* Staff console (/admin): the admin key is typed by the user and kept in memory (or, if asked,
 * sessionStorage of this tab) — never in the page source.  Upload with metadata, index progress,
 * documents with validity, gaps and feedback with CSV export, delete after confirmation. */
(function () {
  "use strict";
  var Q = window.PolicyQA;
  var el = Q.el;
  var KEY_STORAGE = "policyqa.adminKey";
  var adminKey = null;
  var pollTimer = null;
  var gapsCache = [];
  var feedbackCache = [];

  var $ = function (id) { return document.getElementById(id); };

  function storedKey() {
    try { return sessionStorage.getItem(KEY_STORAGE); } catch (err) { return null; }
  }
  function storeKey(key) {
    try {
      if (key) sessionStorage.setItem(KEY_STORAGE, key);
      else sessionStorage.removeItem(KEY_STORAGE);
    } catch (err) { /* storage disabled: memory only */ }
  }

  function adminApi(path, options) {
    var opts = Object.assign({}, options || {});
    opts.headers = Object.assign({ "X-API-Key": adminKey || "" }, opts.headers || {});
    return Q.api(path, opts);
  }

  function fmtTime(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    if (isNaN(d.getTime())) return iso;
    var pad = function (n) { return String(n).padStart(2, "0"); };
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  // -- login ------------------------------------------------------------------------------------

  async function login(key, remember) {
    $("login-error").textContent = "";
    adminKey = key;
    try {
      await adminApi("/api/admin/gaps?limit=1");
    } catch (err) {
      adminKey = null;
      storeKey(null);
      $("login-error").textContent = err.status === 401 || err.status === 403 ? "密钥不正确或管理功能未开启：" + err.message : err.message;
      $("admin-key").focus();
      return;
    }
    storeKey(remember ? key : null);
    $("admin-key").value = "";
    $("login").hidden = true;
    $("console").hidden = false;
    refreshAll();
  }

  function logout() {
    adminKey = null;
    storeKey(null);
    if (pollTimer) clearTimeout(pollTimer);
    $("console").hidden = true;
    $("login").hidden = false;
    $("admin-key").focus();
  }

  // -- index status -----------------------------------------------------------------------------

  var STATE_TEXT = { idle: "空闲", building: "正在重建索引", failed: "上次重建失败" };

  async function refreshStatus() {
    if (pollTimer) { clearTimeout(pollTimer); pollTimer = null; }
    try {
      var s = await adminApi("/api/index/status");
      var progress = $("index-progress");
      var parts = [STATE_TEXT[s.state] || s.state];
      if (s.stage) parts.push("阶段：" + s.stage);
      if (s.operation) parts.push("操作：" + s.operation);
      parts.push("文件 " + s.documents + " 个，片段 " + s.chunks + " 个");
      if (s.finished_at) parts.push("完成于 " + fmtTime(s.finished_at));
      $("index-status").replaceChildren(el("p", { class: "index-" + s.state, text: parts.join(" · ") }));
      if (s.message) $("index-status").appendChild(el("p", { class: s.state === "failed" ? "form-error" : "form-hint", text: s.message }));
      progress.hidden = s.state !== "building";
      progress.max = Math.max(1, s.total);
      progress.value = s.done;
      if (s.state === "building") pollTimer = setTimeout(refreshStatus, 1500);
      else if (refreshStatus.wasBuilding) refreshDocuments();
      refreshStatus.wasBuilding = s.state === "building";
    } catch (err) {
      $("index-status").textContent = "索引状态加载失败：" + err.message;
    }
  }

  // -- upload -----------------------------------------------------------------------------------

  async function upload(event) {
    event.preventDefault();
    var out = $("upload-result");
    var file = $("file").files[0];
    if (!file) { out.replaceChildren(el("p", { class: "form-error", text: "请选择要上传的文件。" })); $("file").focus(); return; }
    var data = new FormData();
    data.append("file", file, file.name);
    [["title", "meta-title"], ["level", "meta-level"], ["issuer", "meta-issuer"], ["number", "meta-number"], ["effective", "meta-effective"]]
      .forEach(function (pair) { var v = $(pair[1]).value.trim(); if (v) data.append(pair[0], v); });
    out.replaceChildren(el("p", { text: "正在上传 " + file.name + " …" }));
    try {
      var change = await adminApi("/api/documents", { method: "POST", body: data });
      out.replaceChildren(el("p", { class: "ok", text: "已收到《" + change.title + "》（" + change.filename + "，" + Math.max(1, Math.round(change.size / 1024)) + " KB），正在重建索引。" }));
      if (change.warnings && change.warnings.length) {
        out.appendChild(el("div", { class: "notes" }, [el("strong", { text: "解析提示" }), el("ul", {}, change.warnings.map(function (w) { return el("li", { text: w }); }))]));
      }
      $("upload-form").reset();
      refreshStatus.wasBuilding = true;
      refreshStatus();
    } catch (err) {
      out.replaceChildren(el("p", { class: "form-error", role: "alert", text: "上传失败：" + err.message }));
    }
  }

  // -- documents --------------------------------------------------------------------------------

  function confirmDialog(text) {
    var dialog = $("confirm-dialog");
    $("confirm-text").textContent = text;
    return new Promise(function (resolve) {
      dialog.addEventListener("close", function onClose() {
        dialog.removeEventListener("close", onClose);
        resolve(dialog.returnValue === "ok");
      });
      dialog.returnValue = "";
      dialog.showModal();
    });
  }

  async function removeDocument(doc, button) {
    var ok = await confirmDialog("确定要删除《" + doc.title + "》" + (doc.version ? "（" + doc.version + "）" : "") + "吗？删除后将重建索引，市民将不能再查到该文件的条款。");
    if (!ok) { button.focus(); return; }
    try {
      await adminApi("/api/documents/" + encodeURIComponent(doc.doc_id), { method: "DELETE" });
      $("upload-result").replaceChildren(el("p", { class: "ok", text: "已删除《" + doc.title + "》，正在重建索引。" }));
      refreshStatus.wasBuilding = true;
      refreshStatus();
    } catch (err) {
      $("upload-result").replaceChildren(el("p", { class: "form-error", role: "alert", text: "删除失败：" + err.message }));
    }
  }

  async function refreshDocuments() {
    var body = $("docs-table").querySelector("tbody");
    try {
      var data = await Q.api("/api/documents");
      var byId = {};
      data.documents.forEach(function (d) { byId[d.doc_id] = d; });
      $("docs-count").textContent = "（" + data.documents.length + " 个）";
      body.replaceChildren.apply(body, data.documents.map(function (d) {
        var versions = (d.versions || []).length > 1
          ? d.versions.map(function (id) { var v = byId[id]; return v ? (v.version || v.effective || id) + (id === d.doc_id ? "（本版）" : "") : id; }).join(" → ")
          : (d.version || "—");
        var del = el("button", { type: "button", class: "btn btn-secondary btn-small btn-delete", text: "删除", "aria-label": "删除《" + d.title + "》" + (d.version || "") });
        del.addEventListener("click", function () { removeDocument(d, del); });
        return el("tr", { "data-doc-id": d.doc_id }, [
          el("td", {}, [el("a", { href: "/staff?doc=" + encodeURIComponent(d.doc_id) + "&q=" + encodeURIComponent(d.title), text: d.title })]),
          el("td", { text: d.level || "—" }),
          el("td", { text: [d.issuer, d.number].filter(Boolean).join(" ") || "—" }),
          el("td", { class: "nowrap", text: d.effective || "—" }),
          el("td", {}, [Q.statusBadge(d.status, false), d.status_since && d.status !== "in_force" ? el("span", { class: "since", text: " " + d.status_since + " 起" }) : null]),
          el("td", { text: versions }),
          el("td", { text: String(d.clauses) }),
          el("td", { class: d.warnings && d.warnings.length ? "warn" : "" , text: (d.warnings || []).join("；") || "—" }),
          el("td", {}, [del]),
        ]);
      }));
    } catch (err) {
      body.replaceChildren(el("tr", {}, [el("td", { colspan: "9", text: "文件列表加载失败：" + err.message })]));
    }
  }

  // -- gaps and feedback ------------------------------------------------------------------------

  var REASON_TEXT = { refused: "拒答", unhelpful: "评为没用", partial: "部分回答" };

  async function refreshGaps() {
    var body = $("gaps-table").querySelector("tbody");
    try {
      var data = await adminApi("/api/admin/gaps?limit=500");
      gapsCache = data.gaps;
      var total = 0;
      var byReason = {};
      data.gaps.forEach(function (g) {
        total += g.count;
        g.reasons.forEach(function (r) { byReason[r] = (byReason[r] || 0) + g.count; });
      });
      $("gaps-count").textContent = "（" + data.gaps.length + " 类，共 " + total + " 次）";
      $("gaps-summary").textContent = Object.keys(byReason).length
        ? "按原因：" + Object.keys(byReason).map(function (r) { return (REASON_TEXT[r] || r) + " " + byReason[r] + " 次"; }).join("，")
        : "暂无未能回答的问题。";
      body.replaceChildren.apply(body, data.gaps.map(function (g) {
        return el("tr", {}, [
          el("td", {}, [g.question, g.missing ? el("span", { class: "missing-detail", text: "未找到：" + g.missing }) : null]),
          el("td", { class: "num", text: String(g.count) }),
          el("td", { text: g.reasons.map(function (r) { return REASON_TEXT[r] || r; }).join("、") }),
          el("td", { text: g.sources.join("、") }),
          el("td", { text: fmtTime(g.last_seen) }),
        ]);
      }));
    } catch (err) {
      body.replaceChildren(el("tr", {}, [el("td", { colspan: "5", text: "加载失败：" + err.message })]));
    }
  }

  async function refreshFeedback() {
    var body = $("feedback-table").querySelector("tbody");
    try {
      var data = await adminApi("/api/admin/feedback?limit=500");
      feedbackCache = data.feedback;
      var helpful = data.feedback.filter(function (f) { return f.helpful; }).length;
      $("feedback-count").textContent = "（有用 " + helpful + "，没用 " + (data.feedback.length - helpful) + "）";
      body.replaceChildren.apply(body, data.feedback.map(function (f) {
        return el("tr", {}, [
          el("td", { text: fmtTime(f.created_at) }),
          el("td", {}, [el("span", { class: "badge " + (f.helpful ? "status-in_force" : "status-repealed"), text: f.helpful ? "有用" : "没用" })]),
          el("td", { text: f.question }),
          el("td", { text: f.comment || "—" }),
        ]);
      }));
    } catch (err) {
      body.replaceChildren(el("tr", {}, [el("td", { colspan: "4", text: "加载失败：" + err.message })]));
    }
  }

  /** Download rows as a UTF-8 CSV (with BOM so Excel reads the Chinese). */
  function downloadCsv(name, header, rows) {
    var cell = function (v) {
      var s = v === null || v === undefined ? "" : String(v);
      if (/^[=+\-@]/.test(s)) s = "'" + s; // no formulas when opened in a spreadsheet
      return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
    };
    var text = "\ufeff" + [header].concat(rows).map(function (r) { return r.map(cell).join(","); }).join("\r\n");
    var url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
    var a = el("a", { href: url, download: name });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }

  function refreshAll() {
    refreshStatus();
    refreshDocuments();
    refreshGaps();
    refreshFeedback();
  }

  $("login-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var key = $("admin-key").value.trim();
    if (!key) { $("login-error").textContent = "请输入管理密钥。"; $("admin-key").focus(); return; }
    login(key, $("remember").checked);
  });
  $("logout").addEventListener("click", logout);
  $("upload-form").addEventListener("submit", upload);
  $("gaps-csv").addEventListener("click", function () {
    downloadCsv("policyqa-gaps.csv", ["问题", "次数", "原因", "渠道", "首次", "最近", "未找到"],
      gapsCache.map(function (g) { return [g.question, g.count, g.reasons.join(" "), g.sources.join(" "), g.first_seen, g.last_seen, g.missing || ""]; }));
  });
  $("feedback-csv").addEventListener("click", function () {
    downloadCsv("policyqa-feedback.csv", ["时间", "有用", "问题", "意见", "会话"],
      feedbackCache.map(function (f) { return [f.created_at, f.helpful ? "是" : "否", f.question, f.comment || "", f.session_id]; }));
  });
  var saved = storedKey();
  if (saved) { $("remember").checked = true; login(saved, true); }
})();
