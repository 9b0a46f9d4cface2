"use strict";
// Sorting: a header's button sorts its table by that column (data-v when
// the cell has one, else its text), toggling aria-sort. Filtering: a text
// box (and a severity select) hide the rows that do not match.
(function () {
  function cellKey(row, col, numeric) {
    var c = row.cells[col];
    var v = c.hasAttribute("data-v") ? c.getAttribute("data-v") : c.textContent;
    return numeric ? parseFloat(v) : v.toLowerCase();
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var body = table.tBodies[0];
    table.querySelectorAll("thead th button.sort").forEach(function (button) {
      button.addEventListener("click", function () {
        var th = button.parentElement;
        var col = th.cellIndex;
        var numeric = th.getAttribute("data-type") === "number";
        var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
        table.querySelectorAll("thead th[aria-sort]").forEach(function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", dir);
        var rows = Array.prototype.map.call(body.rows, function (r) { return [cellKey(r, col, numeric), r]; });
        rows.sort(function (a, b) {
          var r = a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
          return dir === "ascending" ? r : -r;
        });
        var frag = document.createDocumentFragment();
        rows.forEach(function (p) { frag.appendChild(p[1]); });
        body.appendChild(frag);
      });
    });
  });
  document.querySelectorAll(".filters").forEach(function (box) {
    var table = document.getElementById(box.getAttribute("data-table"));
    if (!table) { return; }
    var q = box.querySelector("input.q");
    var sev = box.querySelector("select.sev");
    var shown = box.querySelector(".shown .n");
    var texts = null;
    function apply() {
      var rows = table.tBodies[0].rows;
      if (texts === null) { texts = new Map(); }
      var needle = q.value.trim().toLowerCase();
      var level = sev ? sev.value : "";
      var n = 0;
      for (var i = 0; i < rows.length; i++) {
        var r = rows[i];
        var t = texts.get(r);
        if (t === undefined) { t = r.textContent.toLowerCase(); texts.set(r, t); }
        var ok = (!level || r.getAttribute("data-severity") === level) && (!needle || t.indexOf(needle) !== -1);
        r.hidden = !ok;
        if (ok) { n++; }
      }
      shown.textContent = String(n);
    }
    q.addEventListener("input", apply);
    if (sev) { sev.addEventListener("change", apply); }
  });
})();
