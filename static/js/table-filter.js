// Narrows a long editor table (the catalog's servers or models) to the rows a planner is
// looking for. Rows are only hidden, never removed: every field still posts with the form, and
// a row with an error stays in sight.
(function () {
  function ticked(row) {
    var box = row.querySelector("input[type=checkbox]");
    return box !== null && box.checked;
  }

  document.querySelectorAll("[data-table-filter]").forEach(function (bar) {
    var table = document.getElementById(bar.dataset.tableFilter);
    if (table === null) { return; }
    var find = bar.querySelector("input[type=search]");
    var tickedOnly = bar.querySelector("input[data-ticked-only]");
    var count = bar.querySelector("[data-filter-count]");
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);

    function showCount() {
      var shown = rows.filter(function (row) { return !row.hidden; }).length;
      var tickedRows = rows.filter(ticked).length;
      count.textContent = "Showing " + shown.toLocaleString() + " of " +
        rows.length.toLocaleString() + " · " + tickedRows.toLocaleString() + " ticked";
    }

    function apply() {
      var words = find.value.toLowerCase().split(/\s+/).filter(Boolean);
      rows.forEach(function (row) {
        var text = (row.dataset.find || "").toLowerCase();
        var matches = words.every(function (word) { return text.indexOf(word) !== -1; });
        var keep = row.querySelector(".field-error") !== null ||
          (matches && (!tickedOnly.checked || ticked(row)));
        row.hidden = !keep;
      });
      showCount();
    }

    find.addEventListener("input", apply);
    // Enter in the search box must not submit the scenario.
    find.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }
    });
    tickedOnly.addEventListener("change", apply);
    // Ticking a row changes the count only: a row does not vanish under the pointer.
    table.addEventListener("change", showCount);
    bar.hidden = false;
    apply();
  });
})();
