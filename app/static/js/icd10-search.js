// ICD-10-CM code search as you type, over the pages' own search (which works without this script:
// a GET form lists codes, each result picks one). Each [data-icd10-search] box has an input
// [data-icd10-q] and a list [data-icd10-results]; results either fill the fields named by
// data-code-target / data-text-target (the chart's problem form) or, with data-icd10-mode="submit",
// are submit buttons name="add_code" of the surrounding form (the note's diagnosis section).
(function () {
  "use strict";
  function setup(box) {
    var input = box.querySelector("[data-icd10-q]");
    var list = box.querySelector("[data-icd10-results]");
    if (!input || !list) { return; }
    var url = box.getAttribute("data-url");
    var submitMode = box.getAttribute("data-icd10-mode") === "submit";
    var timer = null;
    var asked = 0;
    function item(code, description) {
      var li = document.createElement("li");
      var button = document.createElement("button");
      button.className = "button small secondary icd-pick";
      button.textContent = "Use " + code + " — " + description;
      if (submitMode) {
        button.type = "submit";
        button.name = "add_code";
        button.value = code;
      } else {
        button.type = "button";
        button.addEventListener("click", function () {
          var codeField = document.getElementById(box.getAttribute("data-code-target"));
          var textField = document.getElementById(box.getAttribute("data-text-target"));
          if (codeField) { codeField.value = code; }
          if (textField && !textField.value.trim()) { textField.value = description; }
          if (codeField) { codeField.focus(); }
        });
      }
      li.appendChild(button);
      return li;
    }
    function show(rows, q) {
      list.textContent = "";
      if (!rows.length) {
        var none = document.createElement("li");
        none.textContent = "No code matches “" + q + "”. Try other words or the start of a code.";
        list.appendChild(none);
        return;
      }
      rows.forEach(function (r) { list.appendChild(item(r.code, r.description)); });
    }
    function search() {
      var q = input.value.trim();
      if (q.length < 2) { list.textContent = ""; return; }
      var mine = ++asked;
      fetch(url + "?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (rows) { if (mine === asked) { show(rows, q); } })
        .catch(function () { /* the Search button still works */ });
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && submitMode) { e.preventDefault(); search(); }
    });
  }
  document.querySelectorAll("[data-icd10-search]").forEach(setup);
})();
