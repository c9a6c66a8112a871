// Draw every plotly chart on the page. Each chart is a <div data-chart="ID">
// with its figure in <script type="application/json" id="ID"> (Django's
// json_script), so no inline script is needed and the CSP stays strict.
(function () {
  "use strict";

  function draw(element) {
    var source = document.getElementById(element.getAttribute("data-chart"));
    if (!source || !window.Plotly) {
      return;
    }
    var figure = JSON.parse(source.textContent);
    var config = Object.assign({ responsive: true, displaylogo: false }, figure.config || {});
    element.textContent = "";
    window.Plotly.newPlot(element, figure.data || [], figure.layout || {}, config).then(function (plot) {
      // A marker that carries an address (a PDSA cycle's) opens it when clicked.
      plot.on("plotly_click", function (event) {
        var point = event.points && event.points[0];
        var url = point && point.customdata;
        if (typeof url === "string" && url.charAt(0) === "/") {
          window.location.assign(url);
        }
      });
    });
  }

  function drawAll(root) {
    (root || document).querySelectorAll("[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawAll(document);
  });
  // Charts inside fragments swapped in by htmx.
  document.addEventListener("htmx:afterSettle", function (event) {
    drawAll(event.target);
  });
})();
