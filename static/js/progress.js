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
  var remaining = document.getElementById("run-remaining");
  var gap = document.getElementById("run-gap");
  var gapText = document.getElementById("run-gap-text");
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
    var view = run.view || {};
    elapsed.textContent = run.elapsed_s != null ? "· " + run.elapsed_s.toFixed(1) + " s elapsed" :
      (run.queued_s != null ? "· queued " + run.queued_s.toFixed(0) + " s" : "");
    remaining.textContent = view.remaining_s != null ?
      "· " + view.remaining_s.toFixed(0) + " s of budget left" : "";
    phase.textContent = p.phase && !run.finished ? "· " + p.phase : "";
    // Objective and bound arrive as text in the objective's unit ("1,975.33 kW").
    incumbent.textContent = view.best ? "· best " + view.best : "";
    bound.textContent = view.bound ? "· bound " + view.bound : "";
    gap.textContent = view.gap_pct != null ? "· gap " + view.gap_pct + " %" : "";
    gapText.textContent = view.gap_text || "";
    gapText.hidden = !view.gap_text;
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
