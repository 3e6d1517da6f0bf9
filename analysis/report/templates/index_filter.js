// The index's filter box: show only the reports whose title and headline contain every typed
// word (case and accents ignored). Without JavaScript the box stays hidden and every report shows.
(function () {
  "use strict";
  var box = document.getElementById("filter-box");
  var input = document.getElementById("filter");
  var status = document.getElementById("filter-status");
  var reports = Array.prototype.slice.call(document.querySelectorAll(".report"));
  var groups = Array.prototype.slice.call(document.querySelectorAll(".conflict"));
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  var texts = reports.map(function (report) {
    return fold(Array.prototype.map.call(report.querySelectorAll(".report-title, .headline"),
                                         function (e) { return e.textContent; }).join(" "));
  });
  function apply() {
    var words = fold(input.value).split(/\s+/).filter(Boolean);
    var shown = 0;
    reports.forEach(function (report, i) {
      var match = words.every(function (w) { return texts[i].indexOf(w) !== -1; });
      report.hidden = !match;
      if (match) { shown += 1; }
    });
    groups.forEach(function (group) {
      group.hidden = !group.querySelector(".report:not([hidden])");
    });
    status.textContent = words.length === 0 ? "" :
      shown === 0 ? "No report matches \u201c" + input.value.trim() + "\u201d." :
      shown + " of " + reports.length + " reports shown.";
  }
  input.addEventListener("input", apply);
  box.hidden = false;
  apply();
})();
