// Polls a sweep's progress (finished variants) and swaps its charts in when more are done.
(function () {
  var panel = document.getElementById("sweep-progress");
  if (!panel || panel.dataset.finished === "1") { return; }
  var fill = document.getElementById("sweep-fill");
  var done = document.getElementById("sweep-done");
  function refresh() {
    return fetch(panel.dataset.fragmentUrl, {credentials: "same-origin"})
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var slot = document.getElementById("sweep-slot");
        slot.innerHTML = html;
        if (window.drawFigures) { window.drawFigures(slot); }
      });
  }
  function poll() {
    fetch(panel.dataset.statusUrl, {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (state) {
        var pct = state.total ? Math.round(100 * state.done / state.total) : 100;
        fill.style.width = pct + "%";
        fill.parentElement.setAttribute("aria-valuenow", state.done);
        var changed = String(state.done) !== done.dataset.done;
        done.textContent = state.done;
        done.dataset.done = state.done;
        var next = changed ? refresh() : Promise.resolve();
        next.then(function () {
          if (state.finished || state.cancelled) { panel.dataset.finished = "1"; return; }
          setTimeout(poll, 1000);
        });
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
