// Polls a run's JSON until it finishes, then swaps the result in without reloading the page.
(function () {
  var panel = document.getElementById("progress");
  if (!panel || panel.dataset.finished === "1") { return; }
  var fill = document.getElementById("progress-fill");
  var bar = fill.parentElement;
  var state = document.getElementById("run-state");
  var elapsed = document.getElementById("run-elapsed");
  var phase = document.getElementById("run-phase");
  var incumbent = document.getElementById("run-incumbent");
  var bound = document.getElementById("run-bound");
  var error = document.getElementById("run-error");
  // The solver reports phases, not percentages: each phase moves the bar a step.
  var PHASES = {start: 20, solve: 70, diagnose: 80, tidy: 90, done: 100};

  function show(run) {
    var p = run.progress || {};
    var pct = run.finished ? 100 : (run.status === "running" ? (PHASES[p.phase] || 10) : 5);
    fill.style.width = pct + "%";
    bar.setAttribute("aria-valuenow", pct);
    state.textContent = run.outcome_label || run.status;
    state.dataset.state = run.outcome || run.status;
    elapsed.textContent = run.elapsed_s != null ? "· " + run.elapsed_s.toFixed(2) + " s" :
      (run.queued_s != null ? "· queued " + run.queued_s.toFixed(0) + " s" : "");
    phase.textContent = p.phase && !run.finished ? "· " + p.phase : "";
    incumbent.textContent = p.incumbent != null ? "· best " + p.incumbent : "";
    bound.textContent = p.bound != null ? "· bound " + p.bound : "";
    // A finished run's reason is shown once, by the result fragment loaded below.
    var reason = run.finished ? "" : (run.error || (run.status === "failed" ? run.reason : ""));
    error.hidden = !reason;
    error.textContent = reason || "";
  }

  function loadResult() {
    fetch(panel.dataset.fragmentUrl, {credentials: "same-origin"})
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var slot = document.getElementById("result-slot");
        slot.innerHTML = html;
        if (window.drawFigures) { window.drawFigures(slot); }
        panel.dataset.finished = "1";
      });
  }

  function poll(delay) {
    fetch(panel.dataset.statusUrl, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (run) {
        show(run);
        if (run.finished) { loadResult(); return; }
        setTimeout(function () { poll(Math.min(delay * 1.5, 3000)); }, delay);
      })
      .catch(function () { setTimeout(function () { poll(3000); }, 3000); });
  }
  poll(300);
})();
