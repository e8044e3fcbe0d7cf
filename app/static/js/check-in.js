// PHQ-9 / GAD-7 one question per screen on small screens (under 600 px), with Back / Next and
// "Question 3 of 9". Progressive enhancement: without this script (or on a wide screen) the plain
// form shows every question and works as is. The crisis box (crisis.js) is never hidden by this.
(function () {
  "use strict";
  var container = document.querySelector("[data-one-at-a-time]");
  if (!container || !window.matchMedia) { return; }
  var form = container.closest("form");
  var questions = Array.prototype.slice.call(container.querySelectorAll("fieldset[data-question]"));
  if (!form || questions.length < 2) { return; }
  var submit = form.querySelector("button[type=submit]");
  var small = window.matchMedia("(max-width: 599.98px)");
  var current = 0;
  var progress, nav, back, next, message;

  function answered(i) {
    return Boolean(questions[i].querySelector("input[type=radio]:checked"));
  }

  function build() {
    progress = document.createElement("p");
    progress.className = "step-progress";
    progress.setAttribute("aria-live", "polite");
    container.parentNode.insertBefore(progress, container);

    nav = document.createElement("div");
    nav.className = "step-nav";
    back = document.createElement("button");
    back.type = "button";
    back.className = "button secondary";
    back.textContent = "Back";
    next = document.createElement("button");
    next.type = "button";
    next.className = "button";
    next.textContent = "Next";
    message = document.createElement("p");
    message.className = "error";
    message.setAttribute("role", "alert");
    nav.appendChild(back);
    nav.appendChild(next);
    nav.appendChild(message);
    container.parentNode.insertBefore(nav, container.nextSibling);

    back.addEventListener("click", function () { show(current - 1, true); });
    next.addEventListener("click", function () {
      if (!answered(current)) {
        message.textContent = "Please choose an answer.";
        var first = questions[current].querySelector("input[type=radio]");
        if (first) { first.focus(); }
        return;
      }
      show(current + 1, true);
    });
    container.addEventListener("change", function () { message.textContent = ""; });
  }

  function show(i, moveFocus) {
    current = Math.max(0, Math.min(questions.length - 1, i));
    questions.forEach(function (q, n) { q.hidden = n !== current; });
    progress.textContent = "Question " + (current + 1) + " of " + questions.length;
    back.hidden = current === 0;
    next.hidden = current === questions.length - 1;
    if (submit) { submit.hidden = current !== questions.length - 1; }
    message.textContent = "";
    if (moveFocus) {
      var legend = questions[current].querySelector("legend");
      questions[current].setAttribute("tabindex", "-1");
      questions[current].focus();
      if (legend && legend.scrollIntoView) { legend.scrollIntoView({ block: "nearest" }); }
    }
  }

  function start() {
    if (!progress) { build(); }
    container.classList.add("one-at-a-time");
    progress.hidden = false;
    nav.hidden = false;
    // Resume where it matters: the first question the server flagged, else the first unanswered.
    var flagged = questions.findIndex(function (q) { return q.classList.contains("has-error"); });
    var open = questions.findIndex(function (q, n) { return !answered(n); });
    show(flagged >= 0 ? flagged : (open >= 0 ? open : questions.length - 1), false);
  }

  function stop() {
    container.classList.remove("one-at-a-time");
    questions.forEach(function (q) { q.hidden = false; });
    if (submit) { submit.hidden = false; }
    if (progress) { progress.hidden = true; nav.hidden = true; }
  }

  function apply() { if (small.matches) { start(); } else { stop(); } }

  // The 988 box appears above the question the moment item 9 is answered above 0: bring it into view.
  var crisis = document.getElementById("crisis-box");
  if (crisis) {
    form.addEventListener("change", function (event) {
      if (event.target.hasAttribute("data-crisis-item") && event.target.value !== "0") {
        window.setTimeout(function () {
          if (!crisis.hidden && crisis.scrollIntoView) { crisis.scrollIntoView({ block: "start" }); }
        }, 0);
      }
    });
  }

  if (small.addEventListener) { small.addEventListener("change", apply); } else if (small.addListener) { small.addListener(apply); }
  apply();
})();
