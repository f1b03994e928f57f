// "Was this helpful?" without leaving the page. Without JavaScript the form posts and the page comes back.
(function () {
  "use strict";
  if (!window.fetch || !window.FormData) return;
  document.querySelectorAll("[data-helpful-form]").forEach(function (form) {
    var status = form.querySelector("[data-helpful-status]");
    var section = form.closest("[data-helpful]");
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || button.name !== "helpful") return; // an old browser: let the form post
      event.preventDefault();
      var data = new FormData(form);
      data.set("helpful", button.value);
      form.setAttribute("aria-busy", "true");
      fetch(form.action, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          return response.json().then(function (body) {
            return { status: response.status, ok: response.ok, body: body };
          });
        })
        .then(function (result) {
          if (result.status === 401 && result.body.login_url) {
            window.location.assign(result.body.login_url);
            return;
          }
          if (!result.ok) {
            status.textContent = result.body.error || "Sorry, that did not work. Please try again.";
            return;
          }
          form.querySelectorAll("button[name=helpful]").forEach(function (choice) {
            var pressed = choice.value === (result.body.helpful ? "yes" : "no");
            choice.setAttribute("aria-pressed", pressed ? "true" : "false");
            choice.classList.toggle("button-secondary", !pressed);
          });
          status.textContent = result.body.message;
          // Then the optional rating, in the same box.
          var rating = section && section.querySelector("[data-rating]");
          if (rating) rating.open = true;
          if (result.body.counts && section) {
            section.querySelector("[data-helpful-yes]").textContent = result.body.counts.yes;
            section.querySelector("[data-helpful-no]").textContent = result.body.counts.no;
          }
        })
        .catch(function () {
          status.textContent = "Sorry, that did not reach us. Please try again.";
        })
        .finally(function () {
          form.removeAttribute("aria-busy");
        });
    });
  });
})();
