// The follow-up page's charts, drawn with Chart.js (static/vendor) from the tables beside them:
// each <table data-chart="CANVAS-ID" data-series="N"> gives its first N figure columns as the
// series, one bar group per row. A suppressed figure (data-value="") is left out, never guessed.
"use strict";

function seriesOf(table) {
  const count = Number(table.dataset.series);
  const heads = Array.from(table.tHead.rows[0].cells).filter((cell) => cell.classList.contains("figure"));
  const rows = Array.from(table.tBodies[0].rows);
  const labels = rows.map((row) => row.dataset.label);
  const datasets = heads.slice(0, count).map((head, i) => ({
    label: head.textContent.trim(),
    data: rows.map((row) => {
      const value = row.querySelectorAll("td.figure")[i].dataset.value;
      return value === "" ? null : Number(value);
    }),
  }));
  return { labels, datasets };
}

function draw(table) {
  const canvas = document.getElementById(table.dataset.chart);
  if (!canvas || typeof Chart === "undefined") {
    return;
  }
  new Chart(canvas, {
    type: "bar",
    data: seriesOf(table),
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: true,
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { position: "bottom" } },
    },
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table[data-chart]").forEach(draw);
});
