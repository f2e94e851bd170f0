/*
 * policyqa chat widget.  Add to any page:
 *   <script src="https://POLICYQA-HOST/widget.js" async></script>
 * Optional attributes: data-title="政策问答" data-position="left".
 * It adds a floating button that opens the chat page of the same host in a panel (iframe).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__policyqaWidget) return;
  window.__policyqaWidget = true;

  var origin = new URL(script.src, window.location.href).origin;
  var title = script.getAttribute("data-title") || "政策问答";
  var side = script.getAttribute("data-position") === "left" ? "left" : "right";
  var z = "2147483000";

  function css(node, styles) {
    Object.keys(styles).forEach(function (k) { node.style[k] = styles[k]; });
    return node;
  }

  var button = css(document.createElement("button"), {
    position: "fixed", bottom: "20px", zIndex: z, padding: "12px 18px", borderRadius: "999px",
    border: "0", background: "#0b57a4", color: "#fff", fontSize: "16px", lineHeight: "1.2",
    boxShadow: "0 4px 16px rgba(0,0,0,.25)", cursor: "pointer",
    fontFamily: "system-ui, 'PingFang SC', 'Microsoft YaHei', sans-serif",
  });
  button.style[side] = "20px";
  button.type = "button";
  button.id = "policyqa-widget-button";
  button.textContent = title;
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "policyqa-widget-panel");

  var panel = css(document.createElement("div"), {
    position: "fixed", bottom: "80px", zIndex: z, width: "min(400px, calc(100vw - 24px))",
    height: "min(640px, calc(100vh - 110px))", background: "#fff", borderRadius: "12px",
    boxShadow: "0 10px 40px rgba(0,0,0,.3)", overflow: "hidden", display: "none",
  });
  panel.style[side] = "12px";
  panel.id = "policyqa-widget-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", title);

  var close = css(document.createElement("button"), {
    position: "absolute", top: "6px", right: "6px", width: "36px", height: "36px", border: "0",
    borderRadius: "50%", background: "rgba(255,255,255,.9)", fontSize: "22px", cursor: "pointer", zIndex: "1",
  });
  close.type = "button";
  close.textContent = "×";
  close.setAttribute("aria-label", "关闭" + title);

  var frame = null;

  function open() {
    if (!frame) {
      frame = css(document.createElement("iframe"), { width: "100%", height: "100%", border: "0" });
      frame.title = title;
      frame.src = origin + "/?embed=1";
      frame.setAttribute("allow", "clipboard-write");
      panel.appendChild(frame);
    }
    panel.style.display = "block";
    button.setAttribute("aria-expanded", "true");
    close.focus();
  }

  function hide() {
    panel.style.display = "none";
    button.setAttribute("aria-expanded", "false");
    button.focus();
  }

  button.addEventListener("click", function () {
    if (panel.style.display === "none") open(); else hide();
  });
  close.addEventListener("click", hide);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && panel.style.display !== "none") hide();
  });

  panel.appendChild(close);
  function mount() {
    document.body.appendChild(panel);
    document.body.appendChild(button);
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
