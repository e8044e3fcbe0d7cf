// Show the crisis lines the moment someone reports thoughts of self-harm (PHQ-9 item 9 above
// "not at all", or the self-harm statement), without waiting for the form to be sent.
//
// Where the patient is looking: the box moves to just after the question they answered and is
// scrolled into view if it is not (it used to open at the top of the form, 900 px above).
// Announced: its message sits in a role="alert" region that is emptied while hidden and filled just
// after the box is shown, so screen readers announce it then (an alert that is merely un-hidden is
// not announced by every screen reader).
(function () {
  "use strict";
  var box = document.getElementById("crisis-box");
  if (!box) { return; }
  var live = box.querySelector("[data-crisis-message]");
  var words = live ? live.innerHTML : "";

  function trigger() {
    var item9 = document.querySelector("input[data-crisis-item]:checked");
    var flagged = document.querySelector("input[data-crisis]:checked");
    if (flagged) { return flagged; }
    return item9 && item9.value !== "0" ? item9 : null;
  }

  function place(input) {
    var anchor = input.closest("fieldset.likert, .check") || input.closest("fieldset");
    if (anchor && anchor.nextElementSibling !== box) {
      anchor.insertAdjacentElement("afterend", box);
    }
  }

  function intoView() {
    var rect = box.getBoundingClientRect();
    var margin = 16;
    if (rect.bottom > window.innerHeight - margin) {
      window.scrollBy(0, Math.min(rect.bottom - window.innerHeight + margin, rect.top - margin));
    } else if (rect.top < margin) {
      window.scrollBy(0, rect.top - margin);
    }
  }

  function show(input) {
    place(input);
    box.hidden = false;
    if (!live) { intoView(); return; }
    live.innerHTML = "";
    window.setTimeout(function () {
      live.innerHTML = words;
      intoView();
    }, 60);
  }

  function update(event) {
    var input = trigger();
    if (!input) {
      box.hidden = true;
      return;
    }
    if (box.hidden) {
      // Placed next to what was just answered, else next to the answer that flags it.
      var changed = event && event.target && event.target.matches && event.target.matches("[data-crisis], [data-crisis-item]") ? event.target : input;
      show(changed.checked ? changed : input);
    }
  }

  document.addEventListener("change", update);
  if (!box.hidden) {
    var input = trigger();
    if (input) { place(input); }
  }
})();
