// Draws every <canvas data-chart="ID"> from the JSON spec in <script id="ID">, with Chart.js.
// A click on a bar, point or slice opens the list of messages behind it (the spec's links).
(function () {
  "use strict";
  var PALETTE = ["#2f6fed", "#98a2b3", "#f79009", "#12b76a", "#f04438", "#7a5af8"];
  var PIE = ["#12b76a", "#f04438"];

  function axis(title, opts) {
    var a = { title: { display: !!title, text: title || "" }, stacked: !!opts.stacked };
    return a;
  }

  function valueAxis(spec, title) {
    var a = axis(title, spec);
    a.beginAtZero = true;
    if (spec.yMax) { a.max = spec.yMax; }
    if (spec.percent) {
      a.ticks = { callback: function (v) { return v + " %"; } };
    } else if (!spec.yMax) {
      a.ticks = { precision: 0 };
    }
    return a;
  }

  function config(spec) {
    var horizontal = !!spec.horizontal;
    var pie = spec.type === "pie";
    var datasets = spec.datasets.map(function (d, i) {
      var color = PALETTE[i % PALETTE.length];
      return {
        label: d.label,
        data: d.data,
        backgroundColor: pie ? PIE : color,
        borderColor: pie ? "#fff" : color,
        borderWidth: pie ? 2 : 1,
        pointRadius: 3,
        spanGaps: true,
        clip: false,
        tension: 0
      };
    });
    var scales = {};
    if (!pie) {
      var category = axis(horizontal ? spec.yTitle : spec.xTitle, spec);
      var values = valueAxis(spec, horizontal ? spec.xTitle : spec.yTitle);
      scales = horizontal ? { x: values, y: category } : { x: category, y: values };
    }
    return {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        layout: { padding: { top: 8, right: 8 } },
        scales: scales,
        plugins: {
          legend: { display: pie || spec.datasets.length > 1, position: "bottom" },
          tooltip: {
            callbacks: {
              footer: function () { return "Click to see the messages"; }
            }
          }
        },
        onHover: function (event, elements) {
          event.native.target.style.cursor = elements.length ? "pointer" : "default";
        },
        onClick: function (event, elements) {
          if (!elements.length) { return; }
          var hit = elements[0];
          var links = spec.datasets[hit.datasetIndex].links || [];
          if (links[hit.index]) { window.location.assign(links[hit.index]); }
        }
      }
    };
  }

  function draw() {
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.getAttribute("data-chart"));
      if (!source || typeof window.Chart === "undefined") { return; }
      var spec = JSON.parse(source.textContent);
      canvas.chart = new window.Chart(canvas, config(spec));
      canvas.setAttribute("data-drawn", "true");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
