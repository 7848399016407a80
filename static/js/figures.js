// Draws every Plotly figure that the server rendered into a json_script element.
// window.drawFigures(root) redraws inside a part of the page swapped in later (run results).
(function () {
  function drawFigures(root) {
    (root || document).querySelectorAll("[data-figure]").forEach(function (el) {
      var source = document.getElementById(el.dataset.figure);
      if (!source || !window.Plotly) { return; }
      var figure = JSON.parse(source.textContent);
      window.Plotly.newPlot(el, figure.data, figure.layout, {responsive: true, displaylogo: false});
    });
  }
  window.drawFigures = drawFigures;
  drawFigures(document);
})();
