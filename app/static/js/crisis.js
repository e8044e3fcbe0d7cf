// Show the crisis lines the moment someone reports thoughts of self-harm (PHQ-9 item 9 above
// "not at all", or the self-harm statement), without waiting for the form to be sent.
(function () {
  "use strict";
  var box = document.getElementById("crisis-box");
  if (!box) { return; }
  function update() {
    var item9 = document.querySelector("input[data-crisis-item]:checked");
    var flagged = document.querySelector("input[data-crisis]:checked");
    var show = Boolean(flagged) || Boolean(item9 && item9.value !== "0");
    box.hidden = !show;
  }
  document.addEventListener("change", update);
  update();
})();
