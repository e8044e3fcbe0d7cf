// Pre-select the browser's IANA time zone in any <select data-detect-timezone> the server left at
// its default, adding the zone as an option when it is not in the short list.
(function () {
  "use strict";
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone) { return; }
  document.querySelectorAll("select[data-detect-timezone]").forEach(function (select) {
    if (select.dataset.userChosen === "1") { return; }
    var found = Array.prototype.some.call(select.options, function (o) { return o.value === zone; });
    if (!found) {
      var option = document.createElement("option");
      option.value = zone;
      option.textContent = zone.replace(/_/g, " ");
      select.insertBefore(option, select.firstChild);
    }
    select.value = zone;
  });
})();
