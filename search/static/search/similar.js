// The ask page: as the adviser writes a question, list similar answered questions under the title.
// Without JavaScript the form's "Check for similar answers" button shows the same list.
(function () {
  "use strict";
  var region = document.querySelector("[data-similar-url]");
  if (!region || !window.fetch || !window.URLSearchParams) return;
  var form = region.closest("form");
  var title = form.querySelector("[name=title]");
  var details = form.querySelector("[name=details]");
  var MAX_LENGTH = 1000; // as the server accepts (search/views_similar.py)
  var WAIT = 400; // milliseconds after the last keystroke
  var timer = null;
  var sent = "";
  var latest = 0;

  function text() {
    var value = (title.value + " " + (details ? details.value : "")).replace(/\s+/g, " ").trim();
    if (value.length > MAX_LENGTH) value = value.slice(0, MAX_LENGTH).replace(/\s\S*$/, "");
    return value;
  }

  function show(html) {
    if (region.innerHTML.trim() !== html.trim()) region.innerHTML = html;
  }

  function update() {
    var q = text();
    if (q === sent) return;
    sent = q;
    if (q.replace(/[\s\p{P}\p{S}]/gu, "").length < 3) {
      show("");
      return;
    }
    var request = ++latest;
    fetch(region.getAttribute("data-similar-url") + "?" + new URLSearchParams({ q: q }), {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    })
      .then(function (response) {
        // Signed out meanwhile (redirected to the sign-in page), rate-limited, or failed: leave the list as it is.
        if (!response.ok || response.redirected) return null;
        return response.text();
      })
      .then(function (html) {
        if (html !== null && request === latest) show(html);
      })
      .catch(function () {});
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(update, WAIT);
  }

  title.addEventListener("input", schedule);
  if (details) details.addEventListener("input", schedule);
  if (title.value) schedule();
})();
