"use strict";
// Builds the charts page's charts from its JSON block (#chart-data): one Chart.js chart per canvas#chart-{id}.
// Series are the dashboard's figures; "threshold" series are dashed constants; "alerts" series are the firings, as points.
(function () {
  var block = document.getElementById("chart-data");
  if (!block || typeof Chart === "undefined") { return; }
  var palette = ["#1f5fa8", "#d46a00", "#2a8a3a", "#7a4bb0", "#8c564b", "#138a93"];
  JSON.parse(block.textContent).forEach(function (c) {
    var canvas = document.getElementById("chart-" + c.id);
    if (!canvas) { return; }
    var next = 0;
    var datasets = c.series.map(function (s) {
      var d = { label: s.label, data: s.data, yAxisID: s.axis, spanGaps: true };
      if (s.kind === "threshold") {
        d.type = "line"; d.borderColor = "#b00020"; d.backgroundColor = "#b00020"; d.borderDash = [6, 4]; d.borderWidth = 1.5; d.pointRadius = 0;
      } else if (s.kind === "alerts") {
        d.type = "line"; d.showLine = false; d.pointStyle = "triangle"; d.pointRadius = 8; d.borderColor = "#b00020"; d.backgroundColor = "#b00020";
      } else {
        var color = palette[next++ % palette.length];
        d.borderColor = color; d.backgroundColor = color; d.pointRadius = 2;
      }
      return d;
    });
    var scales = {
      x: { ticks: { autoSkip: true, maxTicksLimit: 12 } },
      y: { beginAtZero: true, title: { display: true, text: c.unit } }
    };
    if (c.unit2) {
      scales.y1 = { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: c.unit2 } };
    }
    new Chart(canvas, {
      type: c.type,
      data: { labels: c.labels, datasets: datasets },
      options: { animation: false, responsive: true, maintainAspectRatio: false, interaction: { mode: "index", intersect: false }, scales: scales }
    });
  });
})();
