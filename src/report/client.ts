// The report page's inline script, as plain ES5-ish text (no template literals inside). CLIENT_CORE is
// pure (grid and loss-curve SVG as strings) so tests can run it; CLIENT_DOM wires the page: lazy task
// rendering when a <details> opens, sorting, filtering, printing.
import { ARC_PALETTE } from "./palette.ts";

export const CLIENT_CORE = `
var PALETTE = ${JSON.stringify(ARC_PALETTE)};
function esc(s) {
  return String(s).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; });
}
function cellSize(h, w, box) { return Math.max(2, Math.min(28, Math.floor(box / Math.max(h, w, 1)))); }
function diffCells(rows, truth) {
  if (!truth || !rows) return null;
  if (rows.length !== truth.length || rows[0].length !== truth[0].length) return "shape";
  var out = [];
  for (var r = 0; r < rows.length; r++) for (var c = 0; c < rows[r].length; c++) if (rows[r][c] !== truth[r][c]) out.push([r, c]);
  return out;
}
function rowCell(grids, box) {
  var m = 1;
  grids.forEach(function (g) { if (g) m = Math.max(m, g.length, g[0].length); });
  return cellSize(m, m, box);
}
function gridSvg(rows, truth, box, cell) {
  var h = rows.length, w = h ? rows[0].length : 0, s = cell || cellSize(h, w, box || 200), gap = s >= 6 ? 1 : 0;
  var diff = diffCells(rows, truth), W = w * s, H = h * s;
  var p = ['<svg class="grid' + (diff === "shape" ? " shape-wrong" : "") + '" width="' + W + '" height="' + H + '" viewBox="0 0 ' + W + " " + H + '" role="img" aria-label="' + h + "x" + w + ' grid">'];
  p.push('<rect width="' + W + '" height="' + H + '" fill="#555"/>');
  for (var r = 0; r < h; r++) for (var c = 0; c < w; c++) {
    p.push('<rect x="' + c * s + '" y="' + r * s + '" width="' + (s - gap) + '" height="' + (s - gap) + '" fill="' + PALETTE[+rows[r][c]] + '"/>');
  }
  if (diff && diff !== "shape") {
    var m = Math.max(1, s * 0.18), sw = Math.max(1, s / 7);
    for (var i = 0; i < diff.length; i++) {
      var x = diff[i][1] * s, y = diff[i][0] * s, a = x + m, b = y + m, e = x + s - gap - m, f = y + s - gap - m;
      var d = "M" + a + " " + b + "L" + e + " " + f + "M" + e + " " + b + "L" + a + " " + f;
      p.push('<g class="wrong-cell"><rect x="' + x + '" y="' + y + '" width="' + (s - gap) + '" height="' + (s - gap) + '" fill="none" stroke="#fff" stroke-width="' + sw + '"/>' +
        '<path d="' + d + '" stroke="#000" stroke-width="' + (sw * 2.2) + '"/><path d="' + d + '" stroke="#fff" stroke-width="' + sw + '"/></g>');
    }
  }
  if (diff === "shape") p.push('<rect class="shape-border" x="1" y="1" width="' + (W - 2) + '" height="' + (H - 2) + '" fill="none" stroke="#FF4136" stroke-width="2" stroke-dasharray="4 2"/>');
  p.push("</svg>");
  return p.join("");
}
function lossSvg(points, W, H) {
  W = W || 320; H = H || 120;
  var pts = [];
  for (var i = 0; i < points.length; i++) if (points[i][1] !== null && isFinite(points[i][1])) pts.push(points[i]);
  if (pts.length < 2) return '<p class="muted">no loss curve</p>';
  var log = pts.every(function (q) { return q[1] > 0; });
  var f = function (v) { return log ? Math.log10(v) : v; };
  var x0 = pts[0][0], x1 = pts[pts.length - 1][0], lo = Infinity, hi = -Infinity;
  pts.forEach(function (q) { lo = Math.min(lo, f(q[1])); hi = Math.max(hi, f(q[1])); });
  if (hi === lo) { hi += 1; lo -= 1; }
  var L = 44, R = 6, T = 6, B = 18, pw = W - L - R, ph = H - T - B;
  var X = function (s) { return (L + (x1 === x0 ? 0 : (s - x0) / (x1 - x0)) * pw).toFixed(1); };
  var Y = function (v) { return (T + (1 - (f(v) - lo) / (hi - lo)) * ph).toFixed(1); };
  var line = pts.map(function (q) { return X(q[0]) + "," + Y(q[1]); }).join(" ");
  var fmt = function (v) { return Math.abs(v) >= 0.01 && Math.abs(v) < 1000 ? v.toPrecision(3) : v.toExponential(1); };
  var top = log ? Math.pow(10, hi) : hi, bottom = log ? Math.pow(10, lo) : lo;
  return '<svg class="loss" width="' + W + '" height="' + H + '" viewBox="0 0 ' + W + " " + H + '" role="img" aria-label="loss curve">' +
    '<rect x="' + L + '" y="' + T + '" width="' + pw + '" height="' + ph + '" fill="none" stroke="#bbb"/>' +
    '<polyline fill="none" stroke="#0074D9" stroke-width="1.5" points="' + line + '"/>' +
    '<text x="' + (L - 3) + '" y="' + (T + 8) + '" text-anchor="end">' + fmt(top) + "</text>" +
    '<text x="' + (L - 3) + '" y="' + (T + ph) + '" text-anchor="end">' + fmt(bottom) + "</text>" +
    '<text x="' + L + '" y="' + (H - 4) + '">' + x0 + "</text>" +
    '<text x="' + (W - R) + '" y="' + (H - 4) + '" text-anchor="end">step ' + x1 + (log ? " (log loss)" : "") + "</text></svg>";
}
function pct(x) { return x === null || x === undefined ? "–" : (100 * x).toFixed(0) + "%"; }
function figure(label, svg) { return '<figure><figcaption>' + label + "</figcaption>" + svg + "</figure>"; }
function taskHtml(t) {
  var h = [];
  if (t.message) h.push('<p class="message">' + esc(t.message) + "</p>");
  h.push('<div class="loss-row">' + lossSvg(t.loss) + "</div>");
  h.push("<h4>Train pairs</h4>");
  if (!t.train.length) h.push('<p class="muted">task grids not available</p>');
  for (var i = 0; i < t.train.length; i++) {
    var pc = rowCell(t.train[i], 180);
    h.push('<div class="pair">' + figure("input " + (i + 1), gridSvg(t.train[i][0], null, 0, pc)) + '<span class="arrow">&rarr;</span>' + figure("output " + (i + 1), gridSvg(t.train[i][1], null, 0, pc)) + "</div>");
  }
  for (var j = 0; j < t.test.length; j++) {
    var x = t.test[j];
    h.push("<h4>Test " + (j + 1) + (x.correct === true ? ' <span class="ok">right</span>' : x.correct === false ? ' <span class="bad">wrong</span>' : "") + "</h4>");
    var row = [], tc = rowCell([x.input, x.truth].concat(x.attempts.map(function (a) { return a.grid; })), 200);
    if (x.input) row.push(figure("input", gridSvg(x.input, null, 0, tc)));
    if (!x.attempts.length) row.push('<p class="muted">no attempt</p>');
    for (var k = 0; k < x.attempts.length; k++) {
      var a = x.attempts[k], d = diffCells(a.grid, x.truth);
      var note = d === null ? "" : d === "shape" ? ", wrong shape" : d.length ? ", " + d.length + " wrong" : ", exact";
      var votes = a.votes === null || t.copies === null ? "" : ", " + a.votes + " of " + t.copies + " copies";
      row.push(figure("attempt " + (k + 1) + " (conf " + pct(a.confidence) + votes + note + ")", gridSvg(a.grid, x.truth, 0, tc)));
    }
    if (x.truth) row.push(figure("truth", gridSvg(x.truth, null, 0, tc)));
    h.push('<div class="pair test">' + row.join("") + "</div>");
  }
  return h.join("");
}
`;

export const CLIENT_DOM = `
(function () {
  var DATA = JSON.parse(document.getElementById("ttt-data").textContent);
  function render(d) {
    if (d.getAttribute("data-done")) return;
    d.setAttribute("data-done", "1");
    d.querySelector(".body").innerHTML = taskHtml(DATA.tasks[+d.getAttribute("data-i")]);
  }
  var details = Array.prototype.slice.call(document.querySelectorAll("details.task"));
  details.forEach(function (d) { d.addEventListener("toggle", function () { if (d.open) render(d); }); });
  var tbody = document.querySelector("#summary tbody");
  var rows = Array.prototype.slice.call(tbody.rows);
  var sortKey = null, sortDir = 1;
  Array.prototype.forEach.call(document.querySelectorAll("#summary th[data-key]"), function (th) {
    th.addEventListener("click", function () {
      var key = th.getAttribute("data-key"), num = th.hasAttribute("data-num");
      sortDir = sortKey === key ? -sortDir : 1; sortKey = key;
      Array.prototype.forEach.call(document.querySelectorAll("#summary th"), function (o) { o.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", sortDir > 0 ? "ascending" : "descending");
      rows.sort(function (a, b) {
        var x = a.getAttribute("data-" + key), y = b.getAttribute("data-" + key);
        if (num) { x = x === "" ? -Infinity : +x; y = y === "" ? -Infinity : +y; return (x - y) * sortDir; }
        return x.localeCompare(y) * sortDir;
      });
      rows.forEach(function (r) { tbody.appendChild(r); });
    });
  });
  var filter = document.getElementById("filter"), minConf = document.getElementById("min-conf"), shown = document.getElementById("shown");
  function keep(el) {
    var f = filter.value, o = el.getAttribute("data-outcome"), c = el.getAttribute("data-confidence");
    var t = parseFloat(minConf.value);
    if (f !== "all" && f !== o) return false;
    if (isFinite(t) && t > 0 && (c === "" || +c < t / 100)) return false;
    return true;
  }
  function apply() {
    var n = 0;
    rows.forEach(function (r) { var k = keep(r); r.hidden = !k; if (k) n++; });
    details.forEach(function (d) { d.hidden = !keep(d); });
    shown.textContent = n + " of " + rows.length + " tasks shown";
  }
  filter.addEventListener("change", apply); minConf.addEventListener("input", apply);
  apply();
  function openAll(open) { details.forEach(function (d) { if (!d.hidden) { if (open) render(d); d.open = open; } }); }
  document.getElementById("expand").addEventListener("click", function () { openAll(true); });
  document.getElementById("collapse").addEventListener("click", function () { openAll(false); });
  window.addEventListener("beforeprint", function () { openAll(true); });
  function openHash() {
    var d = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (d && d.tagName === "DETAILS") { render(d); d.open = true; }
  }
  window.addEventListener("hashchange", openHash); openHash();
})();
`;
