// Turns the ticked run boxes into one ?runs=3,7 parameter, the comparison's shareable URL.
(function () {
  document.querySelectorAll("[data-compare-form]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var ids = Array.prototype.map.call(
        form.querySelectorAll("input[name=run]:checked"), function (box) { return box.value; });
      window.location.href = form.action + "?runs=" + ids.join(",");
    });
  });
})();
