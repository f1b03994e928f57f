/* Boxes that scroll sideways can be scrolled from the keyboard: a wide table in its .table-wrap, a chart in its
 * .chart-frame, a table in an answer. Each one that is wider than the screen (on a phone, typically) is made
 * focusable, so that Tab reaches it and the arrow keys scroll it; a box that is not a table becomes a named region,
 * named after its table's or figure's caption, so that a screen reader says what has been reached. Boxes that fit
 * are left alone (no needless Tab stop). Run again whenever the window changes size. */
(function () {
  "use strict";
  var SELECTOR = ".table-wrap, .chart-frame, .answer-body table";
  var MARK = "data-scroll-region";

  function nameOf(box) {
    var figure = box.closest("figure");
    var caption = box.querySelector("caption") || (figure && figure.querySelector("figcaption"));
    var text = caption ? caption.textContent.replace(/\s+/g, " ").trim() : "";
    return text ? text + " (scrolls sideways)" : "Scrolls sideways";
  }

  function update() {
    document.querySelectorAll(SELECTOR).forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      var marked = box.hasAttribute(MARK);
      if (scrolls && !marked && !box.hasAttribute("tabindex")) {
        box.setAttribute(MARK, "");
        box.setAttribute("tabindex", "0");
        if (box.tagName !== "TABLE") {
          box.setAttribute("role", "region");
          box.setAttribute("aria-label", nameOf(box));
        }
      } else if (!scrolls && marked) {
        ["tabindex", "role", "aria-label", MARK].forEach(function (name) { box.removeAttribute(name); });
      }
    });
  }

  var pending = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(update, 150);
  });
  window.addEventListener("load", update);
  update(); // loaded with defer: the document is parsed
})();
