/* Forms that ask first: <form data-confirm="Withdraw this question?"> is sent only when the person says OK.
 * (A listener here rather than an onsubmit attribute: the Content-Security-Policy runs no inline handlers.) */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });
})();
