// The data grid: Tab moves down a column (one period, group after group), so a month is
// entered without the mouse; Shift+Tab moves back up. Within a cell, Tab still goes from
// the numerator to the denominator. Without JavaScript the browser's own order applies.
(function () {
  "use strict";

  function cellInputs(td) {
    return Array.prototype.slice.call(td.querySelectorAll("input:not([disabled])"));
  }

  function target(input, backwards) {
    var td = input.closest("td");
    var tr = td && td.parentElement;
    var table = tr && tr.closest("table");
    if (!table) {
      return null;
    }
    var inputs = cellInputs(td);
    var at = inputs.indexOf(input);
    if ((!backwards && at < inputs.length - 1) || (backwards && at > 0)) {
      return null; // the other half of this cell: the browser's own order
    }
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var column = Array.prototype.indexOf.call(tr.cells, td);
    var row = rows.indexOf(tr) + (backwards ? -1 : 1);
    if (row < 0 || row >= rows.length) {
      column += backwards ? -1 : 1;
      row = backwards ? rows.length - 1 : 0;
    }
    var next = rows[row] && rows[row].cells[column];
    if (!next || next.tagName !== "TD") {
      return null; // past the last period: leave the grid as usual
    }
    var nextInputs = cellInputs(next);
    return backwards ? nextInputs[nextInputs.length - 1] : nextInputs[0];
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Tab" || !event.target.matches(".app-grid-table input")) {
      return;
    }
    var next = target(event.target, event.shiftKey);
    if (next) {
      event.preventDefault();
      next.focus();
      next.select();
    }
  });
})();
