/* Ask an Expert: the latest answers, shown where this script tag is.
 *   <script src="https://ASK-AN-EXPERT/embed/widget.js" data-key="KEY" data-topic="charity-law"
 *           data-count="5" data-style="light|dark|compact" async></script>
 * Inside a shadow root, so neither page's styles reach the other. It asks only its own site (the origin of
 * its src) for answers.json, and puts text in with textContent; answer_html is already sanitised there.
 * Its styles are a constructed style sheet, which a host page's Content-Security-Policy does not block; where
 * browsers lack those, a <style> element carrying this script's nonce, if the host page gave it one.
 * A key that cannot be used shows nothing: answers.json says why (see the console).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src || !window.fetch) return;
  var data = script.dataset;
  var origin = new URL(script.src).origin;
  var style = /^(light|dark|compact)$/.test(data.style || "") ? data.style : "light";
  var query = new URLSearchParams({ key: data.key || "" });
  if (data.topic) query.set("topic", data.topic);
  if (data.count) query.set("count", data.count);
  if (data.preview) query.set("preview", "1");

  var CSS =
    ":host{all:initial;display:block}" +
    ".aae{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d2521;background:#fff;" +
    "border:1px solid #d5dbd7;border-radius:8px;padding:14px 16px}" +
    ".dark{color:#eef2ef;background:#1d2521;border-color:#3d4842}" +
    "h2{font-size:1.1em;margin:0 0 6px}" +
    "ul{list-style:none;margin:0;padding:0}" +
    "li{padding:8px 0;border-top:1px solid #e3e8e5}li:first-child{border-top:0}.dark li{border-color:#3d4842}" +
    "a{color:#0b6b3a;font-weight:600}.dark a{color:#8fd6ad}" +
    "a:focus-visible,summary:focus-visible{outline:3px solid currentColor;outline-offset:2px;border-radius:2px}" +
    "p{margin:3px 0 0}.meta{font-size:.85em;color:#56615b}.dark .meta{color:#b5c0ba}" +
    "summary{cursor:pointer;margin-top:4px}.answer{margin-top:4px}" +
    ".compact{font-size:13px;padding:8px 10px}.compact li{padding:4px 0}" +
    ".more{margin-top:8px;font-size:.9em}" +
    ".credit{font-size:.8em}.credit a{font-weight:400}" +
    ".answer ul{list-style:disc}.answer ul,.answer ol{padding-left:1.4em}.answer li{padding:0;border:0}" +
    ".answer td,.answer th{border:1px solid #d5dbd7;padding:2px 6px}";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function ours(url) {
    return typeof url === "string" && url.indexOf(origin + "/") === 0;
  }

  function link(url, text) {
    var a = el("a", "", text);
    a.href = url;
    return a;
  }

  // An imported answer's credit (its licence asks for it); the links come from our own answers.json.
  function credit(src) {
    var p = el("p", "meta credit", "From ");
    function add(text, url) {
      p.appendChild(url ? link(url, text) : document.createTextNode(text));
    }
    add(src.name, src.url);
    (src.authors || []).forEach(function (a, i, all) {
      add((i && i === all.length - 1 ? " and " : ", ") + (a.role ? a.role + " " : "") + "by ");
      add(a.name, a.url);
    });
    if (src.licence) {
      add(" · ");
      add(src.licence.name, src.licence.url);
    }
    return p;
  }

  function day(iso) {
    var parts = (iso || "").split("-");
    if (parts.length !== 3) return "";
    var date = new Date(+parts[0], parts[1] - 1, +parts[2]);
    return date.toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric" });
  }

  function styleInto(root) {
    if ("adoptedStyleSheets" in root && "replaceSync" in CSSStyleSheet.prototype) {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
      return;
    }
    var node = el("style", "", CSS);
    if (script.nonce) node.nonce = script.nonce;
    root.appendChild(node);
  }

  function render(answers) {
    var items = (answers.items || []).filter(function (item) { return ours(item.click_url); });
    if (!items.length) return;
    var host = el("div");
    host.setAttribute("data-ask-an-expert", "");
    var root = host.attachShadow({ mode: "open" });
    styleInto(root);
    var section = el("section", "aae " + style);
    section.setAttribute("aria-label", answers.title);
    section.appendChild(el("h2", "", answers.title));
    var list = el("ul");
    items.forEach(function (item) {
      var li = el("li");
      li.appendChild(link(item.click_url, item.title));
      var meta = [item.expert, item.topic && item.topic.title, day(item.published)];
      li.appendChild(el("p", "meta", meta.filter(Boolean).join(" · ")));
      if (style !== "compact") {
        li.appendChild(el("p", "teaser", item.teaser));
        if (item.answer_html) {
          var details = el("details");
          details.appendChild(el("summary", "", "Read the answer: " + item.title));
          var body = el("div", "answer");
          body.innerHTML = item.answer_html; // sanitised by our site (nh3)
          details.appendChild(body);
          li.appendChild(details);
        }
      }
      if (item.source) li.appendChild(credit(item.source));
      list.appendChild(li);
    });
    section.appendChild(list);
    if (answers.more && ours(answers.more.url)) {
      var more = el("p", "more");
      more.appendChild(link(answers.more.url, answers.more.title));
      section.appendChild(more);
    }
    root.appendChild(section);
    script.parentNode.insertBefore(host, script);
  }

  fetch(origin + "/embed/answers.json?" + query, { credentials: "omit" })
    .then(function (response) { return response.json(); })
    .then(function (answers) {
      if (answers.error) console.info("Ask an Expert widget: " + answers.error + " (" + answers.reason + ")");
      else render(answers);
    })
    .catch(function () {});
})();
