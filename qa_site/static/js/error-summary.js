// A form sent back with errors: its error summary (includes/error_summary.html) takes focus as the page loads, so
// a screen reader reads it out and the keyboard starts there; each of its links puts focus in the field it names,
// with the field's label or legend scrolled into view above it (as GOV.UK's error summary does).
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) return;
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    var input = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!input) return;
    event.preventDefault();
    var fieldset = input.closest("fieldset");
    var label = fieldset ? fieldset.querySelector("legend") : document.querySelector("label[for='" + input.id + "']");
    (label || input).scrollIntoView();
    input.focus({ preventScroll: true });
  });
})();
