/* The widget configurator: every change asks the page again for its snippet and preview (one source: the
 * server), swaps them in, and runs the preview's script; Copy puts the snippet on the clipboard. */
(function () {
  "use strict";
  var form = document.getElementById("widget-form");
  var snippet = document.getElementById("widget-snippet");
  var preview = document.getElementById("widget-preview");
  var copy = document.getElementById("copy-snippet");
  var status = document.getElementById("copy-status");
  if (!form || !snippet || !preview) return;

  // innerHTML never runs a script: put a fresh copy of each in its place.
  function runScripts(container) {
    container.querySelectorAll("script").forEach(function (old) {
      var fresh = document.createElement("script");
      Array.prototype.forEach.call(old.attributes, function (attr) { fresh.setAttribute(attr.name, attr.value); });
      old.replaceWith(fresh);
    });
  }

  var latest = 0;
  function update() {
    var query = new URLSearchParams(new FormData(form)).toString();
    var ticket = ++latest;
    fetch(location.pathname + "?" + query, { credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        if (ticket !== latest) return; // a newer change is on its way
        var page = new DOMParser().parseFromString(html, "text/html");
        snippet.value = page.getElementById("widget-snippet").value;
        preview.innerHTML = page.getElementById("widget-preview").innerHTML;
        runScripts(preview);
        history.replaceState(null, "", "?" + query);
        status.textContent = "";
      });
  }

  form.querySelectorAll("[data-no-js]").forEach(function (button) { button.hidden = true; });
  form.addEventListener("change", update);
  form.addEventListener("submit", function (event) { event.preventDefault(); update(); });

  copy.hidden = false;
  copy.addEventListener("click", function () {
    function selectIt() {
      snippet.focus();
      snippet.select();
      status.textContent = "Selected: press Ctrl+C (or ⌘+C) to copy.";
    }
    if (!navigator.clipboard) return selectIt();
    navigator.clipboard.writeText(snippet.value).then(function () {
      status.textContent = "Copied.";
    }, selectIt);
  });
})();
