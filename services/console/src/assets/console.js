// Draws every <canvas data-chart="bar|doughnut|time|series" data-source="<id>"> with Chart.js from the
// JSON in <script type="application/json" id="<id>">, on load and after each htmx swap.
/* global Chart, htmx */
function drawCharts(root) {
  for (const canvas of root.querySelectorAll('canvas[data-chart]')) {
    if (canvas.dataset.drawn) continue;
    const source = document.getElementById(canvas.dataset.source);
    if (!source) continue;
    const data = JSON.parse(source.textContent);
    const kind = canvas.dataset.chart;
    const options = { responsive: true, maintainAspectRatio: false, animation: false };
    if (kind === 'time') {
      options.scales = {
        x: { type: 'linear', ticks: { callback: (v) => new Date(v).toISOString().slice(11, 19) } },
        y: { beginAtZero: true },
      };
    }
    if (kind === 'series') {
      // A metric's history: {x: step index, y: value} points, one line per run.
      options.scales = { x: { type: 'linear', title: { display: true, text: 'step' } } };
    }
    const type = kind === 'time' || kind === 'series' ? 'line' : kind;
    new Chart(canvas, { type, data, options });
    canvas.dataset.drawn = 'true';
  }
  document.body.dataset.chartsDrawn = String(root.querySelectorAll('canvas[data-drawn]').length);
}
drawCharts(document);
document.addEventListener('htmx:after:swap', () => drawCharts(document));
document.addEventListener('htmx:afterSwap', () => drawCharts(document));
