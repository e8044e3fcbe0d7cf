// The phone's slot picker: a strip of days above the chosen day's times. Without this script each
// day in the strip is a link that asks the server for that day; with it, the day is shown at once.
(function () {
  "use strict";
  document.querySelectorAll("[data-day-strip]").forEach(function (strip) {
    var week = strip.nextElementSibling;
    if (!week) { return; }
    strip.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-day]");
      if (!link) { return; }
      event.preventDefault();
      var day = link.dataset.day;
      strip.querySelectorAll("a[data-day]").forEach(function (a) {
        var chosen = a.dataset.day === day;
        a.classList.toggle("chosen", chosen);
        if (chosen) { a.setAttribute("aria-current", "date"); } else { a.removeAttribute("aria-current"); }
      });
      week.querySelectorAll(".day[data-day]").forEach(function (section) {
        section.classList.toggle("chosen", section.dataset.day === day);
      });
      if (window.history && history.replaceState) { history.replaceState(null, "", link.href.split("#")[0]); }
    });
  });
})();
