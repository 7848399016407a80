// Offers the chosen parameter's example values when the planner switches parameter.
(function () {
  var select = document.getElementById("sweep-parameter");
  var values = document.getElementById("sweep-values");
  if (!select || !values) { return; }
  select.addEventListener("change", function () {
    values.value = select.options[select.selectedIndex].dataset.default || "";
  });
})();
