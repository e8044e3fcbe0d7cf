// Long actions show progress: a form with data-busy announces its message in its role="status"
// element while the request runs, and ignores a second submit.
(function () {
  "use strict";
  document.querySelectorAll("form[data-busy]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("aria-busy") === "true") { event.preventDefault(); return; }
      form.setAttribute("aria-busy", "true");
      var status = form.querySelector(".busy[role=status]");
      if (status) { status.textContent = form.dataset.busy; }
    });
  });
})();
