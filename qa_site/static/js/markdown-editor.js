/* The Markdown editor's Write / Preview tabs (qa_site.knowledge.editor.MarkdownEditor).
 * Without this script the editor is a plain textarea with its formatting help. With it, the tabs appear; Preview
 * sends the text to the server, which renders it exactly as it will be published (and sanitises it), and shows it.
 * Keyboard: Tab reaches the selected tab; Left / Right (Home / End) move between tabs and select them. */
(function () {
  "use strict";

  function setUp(editor) {
    var tabs = Array.prototype.slice.call(editor.querySelectorAll("[role=tab]"));
    var write = tabs[0], preview = tabs[1];
    var writePanel = document.getElementById(write.getAttribute("aria-controls"));
    var previewPanel = document.getElementById(preview.getAttribute("aria-controls"));
    var textarea = writePanel.querySelector("textarea");
    var form = textarea.form;
    var request = 0;

    [[write, writePanel], [preview, previewPanel]].forEach(function (pair) {
      pair[1].setAttribute("role", "tabpanel");
      pair[1].setAttribute("aria-labelledby", pair[0].id);
    });
    editor.querySelector("[role=tablist]").hidden = false;

    function say(text, className) {
      previewPanel.textContent = "";
      var p = document.createElement("p");
      p.className = className;
      p.textContent = text;
      previewPanel.appendChild(p);
    }

    function render() {
      var text = textarea.value;
      var mine = ++request;
      if (!text.trim()) {
        say("Nothing to preview yet: write your answer first.", "md-preview-note");
        return;
      }
      say("Preparing the preview…", "md-preview-note");
      previewPanel.setAttribute("aria-busy", "true");
      var body = new FormData();
      body.append("text", text);
      var token = form && form.querySelector("[name=csrfmiddlewaretoken]");
      fetch(editor.getAttribute("data-preview-url"), {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": token ? token.value : "", Accept: "application/json" },
      })
        .then(function (response) {
          return response.json().catch(function () {
            return { error: "The preview could not be made (" + response.status + "). Your text is unchanged." };
          });
        })
        .catch(function () {
          return { error: "The preview could not be made: the site did not answer. Your text is unchanged." };
        })
        .then(function (data) {
          if (mine !== request) return; // a later preview has been asked for
          previewPanel.removeAttribute("aria-busy");
          if (data.error) say(data.error, "md-preview-error");
          else previewPanel.innerHTML = data.html; // sanitised by the server's renderer (nh3)
        });
    }

    // A few formatting buttons over the textarea (bold, a bulleted list, a link): each writes the Markdown for it.
    function edit(make) {
      var start = textarea.selectionStart, end = textarea.selectionEnd;
      var change = make(textarea.value.slice(start, end), textarea.value.slice(0, start));
      textarea.focus();
      textarea.setRangeText(change.text, start, end, "end");
      if (change.select) textarea.setSelectionRange(start + change.select[0], start + change.select[1]);
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    }
    var tools = {
      Bold: function (text) {
        text = text || "bold text";
        return { text: "**" + text + "**", select: [2, 2 + text.length] };
      },
      "Bulleted list": function (text, before) {
        var lead = before && !/\n$/.test(before) ? "\n" : "";
        var lines = (text || "item").split("\n").map(function (line) { return "- " + line.replace(/^\s*[-*]\s+/, ""); });
        return { text: lead + lines.join("\n") };
      },
      Link: function (text) {
        text = text || "link text";
        var address = "https://";
        return { text: "[" + text + "](" + address + ")", select: [text.length + 3, text.length + 3 + address.length] };
      },
    };
    var toolbar = document.createElement("div");
    toolbar.className = "md-toolbar";
    toolbar.setAttribute("role", "group");
    toolbar.setAttribute("aria-label", "Formatting");
    toolbar.setAttribute("aria-controls", textarea.id);
    Object.keys(tools).forEach(function (name) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "md-tool";
      button.textContent = name;
      button.addEventListener("click", function () { edit(tools[name]); });
      toolbar.appendChild(button);
    });
    writePanel.insertBefore(toolbar, textarea);

    function select(tab, moveFocus) {
      tabs.forEach(function (other) {
        var on = other === tab;
        other.setAttribute("aria-selected", on ? "true" : "false");
        other.tabIndex = on ? 0 : -1;
        document.getElementById(other.getAttribute("aria-controls")).hidden = !on;
      });
      if (moveFocus) tab.focus();
      if (tab === preview) render();
    }

    tabs.forEach(function (tab, index) {
      tab.addEventListener("click", function () {
        if (tab.getAttribute("aria-selected") !== "true") select(tab, false);
      });
      tab.addEventListener("keydown", function (event) {
        var next = {
          ArrowRight: (index + 1) % tabs.length,
          ArrowLeft: (index + tabs.length - 1) % tabs.length,
          Home: 0,
          End: tabs.length - 1,
        }[event.key];
        if (next === undefined) return;
        event.preventDefault();
        select(tabs[next], true);
      });
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-markdown-editor]"), setUp);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
