/* Citizen chat page: /api/ask with a session kept in sessionStorage, citations open the clause. */
(function () {
  "use strict";
  var Q = window.PolicyQA;
  var el = Q.el;
  var SESSION_KEY = "policyqa.session";
  var MAX_CHARS = 500;

  var form = document.getElementById("ask-form");
  var input = document.getElementById("question");
  var button = document.getElementById("ask-button");
  var conversation = document.getElementById("conversation");
  var formError = document.getElementById("form-error");
  var status = document.getElementById("status");
  var examples = document.querySelector(".examples");
  var busy = false;

  if (new URLSearchParams(location.search).get("embed") === "1") document.body.classList.add("embed");

  function sessionId() {
    try { return sessionStorage.getItem(SESSION_KEY) || null; } catch (err) { return null; }
  }
  function setSessionId(value) {
    try {
      if (value) sessionStorage.setItem(SESSION_KEY, value);
      else sessionStorage.removeItem(SESSION_KEY);
    } catch (err) { /* storage disabled: no follow-ups */ }
  }

  /** The answer text with "[n]" turned into buttons that open citation n. */
  function answerText(answer) {
    var p = el("p", { class: "answer-text" });
    var parts = answer.answer.split(/(\[\d+\])/);
    parts.forEach(function (part) {
      var m = /^\[(\d+)\]$/.exec(part);
      var citation = m ? answer.citations[Number(m[1]) - 1] : null;
      if (citation) {
        p.appendChild(el("button", {
          type: "button", class: "cite-marker", text: part,
          "aria-label": "查看引文" + m[1] + "：" + citation.reference,
          onclick: function (event) { openCitation(citation, event.currentTarget); },
        }));
      } else if (part) {
        p.appendChild(document.createTextNode(part));
      }
    });
    return p;
  }

  function openCitation(citation, opener) {
    Q.openClause(citation.doc_id, Q.clauseRef(citation.clause, citation.sub), { start: citation.start, end: citation.end }, opener);
  }

  function citationList(answer) {
    var ol = el("ol", { class: "citations", "aria-label": "引用来源" });
    answer.citations.forEach(function (c) {
      ol.appendChild(el("li", {}, [
        el("button", {
          type: "button", class: "citation-link", text: c.reference,
          onclick: function (event) { openCitation(c, event.currentTarget); },
        }),
        el("span", { class: "citation-quote", text: "「" + c.quote + "」" }),
      ]));
    });
    return ol;
  }

  function notesBlock(notes) {
    if (!notes || !notes.length) return null;
    return el("div", { class: "notes" }, [
      el("strong", { text: "提示" }),
      el("ul", {}, notes.map(function (n) { return el("li", { text: n }); })),
    ]);
  }

  function relatedBlock(answer) {
    if (!answer.related || !answer.related.length) return null;
    return el("div", { class: "related" }, [
      el("span", { text: "可能相关的条款：" }),
      el("ul", {}, answer.related.slice(0, 3).map(function (r) {
        return el("li", {}, [el("button", {
          type: "button", class: "citation-link", text: Q.reference(r.doc, r.clause, r.title, r.label),
          onclick: function (event) { Q.openClause(r.doc_id, Q.clauseRef(r.clause, r.sub), null, event.currentTarget); },
        })]);
      })),
    ]);
  }

  function feedbackBlock(answer) {
    var box = el("div", { class: "feedback", role: "group", "aria-label": "这个回答有用吗" });
    var label = el("span", { text: "这个回答有用吗？" });
    function send(helpful) {
      Array.prototype.forEach.call(box.querySelectorAll("button"), function (b) { b.disabled = true; });
      Q.api("/api/feedback", {
        json: { session_id: answer.session_id, question: answer.question, helpful: helpful },
      }).then(function () {
        box.replaceChildren(el("span", { class: "thanks", role: "status", text: helpful ? "感谢您的反馈！" : "感谢反馈，我们会据此完善政策解答。" }));
      }).catch(function (err) {
        box.replaceChildren(el("span", { role: "status", text: "反馈未能提交：" + err.message }));
      });
    }
    box.appendChild(label);
    box.appendChild(el("button", { type: "button", class: "btn btn-secondary btn-small", text: "有用", onclick: function () { send(true); } }));
    box.appendChild(el("button", { type: "button", class: "btn btn-secondary btn-small", text: "没用", onclick: function () { send(false); } }));
    return box;
  }

  function renderAnswer(answer) {
    if (answer.refused) {
      return el("div", { class: "answer-card refused", "data-refused": "true" }, [
        el("h3", { text: "未找到相关政策" }),
        el("p", { class: "answer-text", text: answer.answer }),
        notesBlock(answer.notes),
        feedbackBlock(answer),
      ]);
    }
    return el("div", { class: "answer-card", "data-refused": "false" }, [
      el("h3", { class: "visually-hidden", text: "回答" }),
      answerText(answer),
      answer.citations.length ? citationList(answer) : null,
      notesBlock(answer.notes),
      feedbackBlock(answer),
    ]);
  }

  async function ask(question) {
    question = question.trim();
    formError.textContent = "";
    if (!question) { formError.textContent = "请先输入您的问题。"; input.focus(); return; }
    if (question.length > MAX_CHARS) { formError.textContent = "问题过长，请精简到 " + MAX_CHARS + " 字以内。"; return; }
    if (busy) return;
    busy = true;
    button.disabled = true;
    conversation.setAttribute("aria-busy", "true");
    status.textContent = "正在查询政策文件…";
    examples.hidden = true;
    var turn = el("article", { class: "turn" }, [el("div", { class: "bubble-question", text: question })]);
    var pending = el("p", { class: "loading", text: "正在查询政策文件…" });
    turn.appendChild(pending);
    conversation.appendChild(turn);
    turn.scrollIntoView({ block: "end", behavior: "smooth" });
    try {
      var body = { question: question };
      var sid = sessionId();
      if (sid) body.session_id = sid;
      var answer = await Q.api("/api/ask", { json: body });
      setSessionId(answer.session_id);
      turn.replaceChild(renderAnswer(answer), pending);
      status.textContent = answer.refused ? "未找到相关政策。" : "已回答，共 " + answer.citations.length + " 处引用。";
      input.value = "";
    } catch (err) {
      turn.replaceChild(el("div", { class: "error-card", role: "alert", text: err.message }), pending);
      status.textContent = "";
      if (err.code === "validation_error" && sessionId()) setSessionId(null);
    } finally {
      busy = false;
      button.disabled = false;
      conversation.setAttribute("aria-busy", "false");
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    ask(input.value);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ask(input.value);
    }
  });
  Array.prototype.forEach.call(document.querySelectorAll(".chip"), function (chip) {
    chip.addEventListener("click", function () { input.value = chip.dataset.question; ask(chip.dataset.question); });
  });
  document.getElementById("new-conversation").addEventListener("click", function () {
    setSessionId(null);
    conversation.replaceChildren();
    examples.hidden = false;
    status.textContent = "已开始新对话。";
    input.focus();
  });
  Q.setupClauseDialog();
})();
