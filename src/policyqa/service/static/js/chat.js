/* Citizen chat page: answers stream from /api/ask/stream (session kept in sessionStorage),
 * each quote shown once with its citation inline, the clause list once per clause, follow-up chips. */
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

  // -- small talk: greetings and thanks are answered here, not sent as policy questions ----------
  var GREETING = /^(你好|您好|hi|hello|哈喽|嗨|在吗|在不在|早上好|下午好|晚上好)[啊呀呢吗！!。.～~\s]*$/i;
  var THANKS = /^(谢谢|多谢|感谢|谢了|好的谢谢|好的，谢谢|thanks?|thank you)[您你啦了啊呀！!。.～~\s]*$/i;
  var BYE = /^(再见|拜拜|bye)[！!。.～~\s]*$/i;

  function smallTalk(question) {
    var q = question.trim();
    if (GREETING.test(q)) return "您好！请直接输入您想了解的住房城乡建设政策问题，例如“公积金异地能办吗”，我会摘录政策原文并注明出处。";
    if (THANKS.test(q)) return "不客气！如还有其他政策问题，欢迎继续提问；需要人工帮助请拨打 12345 政务服务便民热线。";
    if (BYE.test(q)) return "再见！如需人工帮助，请拨打 12345 政务服务便民热线。";
    return null;
  }

  // -- rendering ------------------------------------------------------------------------------

  /** Citations grouped by clause (first appearance order): [{key, citation, quotes: [c…]}]. */
  function clauseGroups(citations) {
    var groups = [];
    var byKey = {};
    citations.forEach(function (c) {
      var key = c.doc_id + "/" + Q.clauseRef(c.clause, c.sub);
      if (!byKey[key]) { byKey[key] = { key: key, citation: c, quotes: [] }; groups.push(byKey[key]); }
      byKey[key].quotes.push(c);
    });
    return groups;
  }

  function groupIndex(groups, citation) {
    var key = citation.doc_id + "/" + Q.clauseRef(citation.clause, citation.sub);
    for (var i = 0; i < groups.length; i++) if (groups[i].key === key) return i;
    return -1;
  }

  function openGroup(group, only, opener) {
    var c = group.citation;
    var marks = (only ? [only] : group.quotes).map(function (q) { return { start: q.start, end: q.end }; });
    Q.openClause(c.doc_id, Q.clauseRef(c.clause, c.sub), marks, opener);
  }

  /** The answer text: each quote once, "[n]" markers as buttons to clause n of the list, 12345 as a tel: link. */
  function answerText(answer, groups) {
    var p = el("p", { class: "answer-text" });
    answer.answer.split(/(\[\d+\])/).forEach(function (part) {
      var m = /^\[(\d+)\]$/.exec(part);
      var citation = m ? answer.citations[Number(m[1]) - 1] : null;
      if (citation) {
        var gi = groupIndex(groups, citation);
        p.appendChild(el("button", {
          type: "button", class: "cite-marker", text: "[" + (gi + 1) + "]",
          "aria-label": "查看出处" + (gi + 1) + "：" + citation.reference,
          onclick: function (event) { openGroup(groups[gi], citation, event.currentTarget); },
        }));
      } else if (part) {
        p.appendChild(Q.withPhoneLinks(part));
      }
    });
    return p;
  }

  function citationList(groups) {
    var ol = el("ol", { class: "citations", "aria-label": "出处" });
    groups.forEach(function (g, i) {
      var c = g.citation;
      var meta = [c.version, c.effective ? c.effective + " 起施行" : ""].filter(Boolean).join(" · ");
      ol.appendChild(el("li", { "data-clause": g.key }, [
        el("span", { class: "citation-number", "aria-hidden": "true", text: "[" + (i + 1) + "]" }),
        el("button", {
          type: "button", class: "citation-link", text: c.reference,
          onclick: function (event) { openGroup(g, null, event.currentTarget); },
        }),
        Q.statusBadge(c.status, true),
        meta ? el("span", { class: "citation-meta", text: meta }) : null,
      ]));
    });
    return el("div", { class: "sources" }, [el("h4", { class: "sources-title", text: "出处" }), ol]);
  }

  function notesBlock(notes) {
    if (!notes || !notes.length) return null;
    return el("div", { class: "notes" }, [
      el("strong", { text: "提示" }),
      el("ul", {}, notes.map(function (n) { return el("li", {}, [Q.withPhoneLinks(n)]); })),
    ]);
  }

  /** A question a related clause answers: 「完善住房保障体系」有哪些规定？ or 《住房租赁条例》第十五条是怎么规定的？ */
  function followUpQuestion(r) {
    var label = r.label || "";
    if (label.charAt(0) === "第" && label.indexOf("条") > 0) return "《" + r.doc + "》" + label + "是怎么规定的？";
    var title = (r.title || "").replace(/…$/, "");
    return title ? "“" + title + "”有哪些规定？" : null;
  }

  function followUps(answer) {
    var cited = {};
    answer.citations.forEach(function (c) { cited[c.doc_id + "/" + c.clause + "/" + (c.sub || 0)] = true; });
    var questions = [];
    (answer.related || []).forEach(function (r) {
      if (!r.clause || cited[r.doc_id + "/" + r.clause + "/" + (r.sub || 0)] || questions.length >= 3) return;
      var q = followUpQuestion(r);
      if (q && questions.indexOf(q) < 0) questions.push(q);
    });
    if (!questions.length) return null;
    return el("div", { class: "follow-ups" }, [
      el("h4", { class: "follow-ups-title", text: "您可能还想问：" }),
      el("ul", { class: "chips" }, questions.map(function (q) {
        return el("li", {}, [el("button", { type: "button", class: "chip chip-follow-up", "data-question": q, text: q,
          onclick: function () { input.value = q; ask(q); } })]);
      })),
    ]);
  }

  function feedbackBlock(answer) {
    var box = el("div", { class: "feedback", role: "group", "aria-label": "这个回答有用吗" });
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
    box.appendChild(el("span", { text: "这个回答有用吗？" }));
    box.appendChild(el("button", { type: "button", class: "btn btn-secondary btn-small", text: "有用", onclick: function () { send(true); } }));
    box.appendChild(el("button", { type: "button", class: "btn btn-secondary btn-small", text: "没用", onclick: function () { send(false); } }));
    return box;
  }

  function contactLine() {
    return el("p", { class: "contact" }, ["需要人工帮助？请拨打 ", el("a", { href: "tel:12345", class: "tel", text: "12345" }), " 政务服务便民热线。"]);
  }

  /** answered | partial | refused: `status` when the API sends it, else from `refused`. */
  function answerStatus(answer) {
    if (answer.status === "partial" || answer.status === "refused" || answer.status === "answered") return answer.status;
    return answer.refused ? "refused" : "answered";
  }

  function renderAnswer(answer) {
    var kind = answerStatus(answer);
    var groups = clauseGroups(answer.citations || []);
    if (kind === "refused") {
      return el("div", { class: "answer-card refused", "data-refused": "true", "data-status": "refused" }, [
        el("h3", { text: "未找到相关政策" }),
        el("p", { class: "answer-text" }, [Q.withPhoneLinks(answer.answer)]),
        /12345/.test(answer.answer) ? null : contactLine(),
        notesBlock(answer.notes),
        feedbackBlock(answer),
      ]);
    }
    var partial = kind === "partial";
    return el("div", { class: "answer-card" + (partial ? " partial" : ""), "data-refused": "false", "data-status": kind }, [
      partial ? el("h3", { text: "只找到部分答案" }) : el("h3", { class: "visually-hidden", text: "回答" }),
      answerText(answer, groups),
      partial ? el("p", { class: "missing" }, [el("strong", { text: "未找到：" }), answer.missing || "问题的其余部分在已收录文件中没有依据。"]) : null,
      partial ? contactLine() : null,
      groups.length ? citationList(groups) : null,
      notesBlock(answer.notes),
      followUps(answer),
      feedbackBlock(answer),
    ]);
  }

  function renderSmallTalk(text) {
    return el("div", { class: "answer-card small-talk", "data-refused": "false", "data-status": "small_talk" }, [
      el("h3", { class: "visually-hidden", text: "回答" }),
      el("p", { class: "answer-text" }, [Q.withPhoneLinks(text)]),
    ]);
  }

  /** Bring the newest exchange into view: its question at the top, clear of the sticky input. */
  function reveal(turn) {
    turn.scrollIntoView({ block: "start", behavior: "auto" });
  }

  // -- asking -----------------------------------------------------------------------------------

  /** POST /api/ask/stream; calls onToken(text) per piece; resolves with the `done` answer. */
  async function askStream(body, onToken) {
    var response;
    try {
      response = await fetch("/api/ask/stream", {
        method: "POST", headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
        body: JSON.stringify(body),
      });
    } catch (err) {
      throw new Error("网络连接失败，请检查网络后重试。");
    }
    if (!response.ok || !response.body) {
      var data = null;
      try { data = await response.json(); } catch (err) { data = null; }
      var error = new Error(data && data.error ? data.error.message : "服务暂时不可用（" + response.status + "），请稍后再试。");
      error.status = response.status;
      error.code = data && data.error ? data.error.code : "";
      throw error;
    }
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    var done = null;
    for (;;) {
      var chunk = await reader.read();
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      var cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        var raw = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        var event = "message";
        var dataLines = [];
        raw.split("\n").forEach(function (line) {
          if (line.indexOf("event:") === 0) event = line.slice(6).trim();
          else if (line.indexOf("data:") === 0) dataLines.push(line.slice(5).replace(/^ /, ""));
        });
        var payload = dataLines.length ? JSON.parse(dataLines.join("\n")) : null;
        if (event === "token") onToken(payload.text);
        else if (event === "done") done = payload;
        else if (event === "error") throw new Error(payload && payload.message ? payload.message : "服务器内部错误，请稍后再试");
      }
    }
    if (!done) throw new Error("回答未能完整接收，请重试。");
    return done;
  }

  async function ask(question) {
    question = question.trim();
    formError.textContent = "";
    if (!question) { formError.textContent = "请先输入您的问题。"; input.focus(); return; }
    if (question.length > MAX_CHARS) { formError.textContent = "问题过长，请精简到 " + MAX_CHARS + " 字以内。"; return; }
    if (busy) return;
    var turn = el("article", { class: "turn" }, [el("div", { class: "bubble-question", text: question })]);
    conversation.appendChild(turn);
    document.body.classList.add("has-turns");
    var local = smallTalk(question);
    if (local) {
      turn.appendChild(renderSmallTalk(local));
      status.textContent = local;
      input.value = "";
      reveal(turn);
      return;
    }
    busy = true;
    button.disabled = true;
    conversation.setAttribute("aria-busy", "true");
    status.textContent = "正在查询政策文件…";
    var pending = el("div", { class: "pending-card", "aria-hidden": "true" }, [
      el("p", { class: "loading", text: "正在查询政策文件…" }),
    ]);
    turn.appendChild(pending);
    reveal(turn);
    try {
      var body = { question: question };
      var sid = sessionId();
      if (sid) body.session_id = sid;
      var streamed = null;
      var answer = await askStream(body, function (text) {
        if (!streamed) { streamed = el("p", { class: "answer-text typing" }); pending.replaceChildren(streamed); }
        streamed.appendChild(document.createTextNode(text));
      });
      setSessionId(answer.session_id);
      turn.replaceChild(renderAnswer(answer), pending);
      var kind = answerStatus(answer);
      status.textContent = kind === "refused" ? "未找到相关政策。" : (kind === "partial" ? "只找到部分答案。" : "已回答。");
      input.value = "";
      reveal(turn);
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
  // the textarea's maxlength cuts a longer paste silently: say so
  input.addEventListener("paste", function (event) {
    var pasted = (event.clipboardData && event.clipboardData.getData("text")) || "";
    var room = MAX_CHARS - (input.value.length - (input.selectionEnd - input.selectionStart));
    formError.textContent = pasted.length > room
      ? "问题最多 " + MAX_CHARS + " 字，粘贴的内容只保留了前 " + Math.max(room, 0) + " 字，请检查或精简后再提问。" : "";
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ask(input.value);
    }
  });
  Array.prototype.forEach.call(document.querySelectorAll(".examples .chip"), function (chip) {
    chip.addEventListener("click", function () { input.value = chip.dataset.question; ask(chip.dataset.question); });
  });
  document.getElementById("new-conversation").addEventListener("click", function () {
    setSessionId(null);
    conversation.replaceChildren();
    document.body.classList.remove("has-turns");
    status.textContent = "已开始新对话。";
    window.scrollTo(0, 0);
    input.focus();
  });
  Q.setupClauseDialog();
})();
