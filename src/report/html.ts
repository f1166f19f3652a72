// The self-contained HTML report: inline CSS, the run's data as embedded JSON, inline script that draws
// grids and loss curves as SVG when a task is opened. No network, no external assets.
import { CLIENT_CORE, CLIENT_DOM } from "./client.ts";
import type { ReportData, ReportTask } from "./run-data.ts";

export function escapeHtml(s: unknown): string {
  return String(s).replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

/** JSON safe inside a <script> element (no "</script>", no HTML comment openers, no line separators). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** solved: every test output right; failed: known and not all right; unknown: no truth. */
export function outcomeOf(t: ReportTask): "solved" | "failed" | "unknown" {
  return t.score === null ? "unknown" : t.score >= 1 ? "solved" : "failed";
}

const CSS = `
:root { --fg: #1d1d1f; --muted: #6b6b70; --line: #d8d8de; --bg: #fff; --ok: #1a7f37; --bad: #c0221b; }
* { box-sizing: border-box; }
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); margin: 0 auto; padding: 16px 20px 40px; max-width: 1400px; }
h1 { font-size: 20px; margin: 0 0 4px; word-break: break-all; } h2 { font-size: 16px; margin: 24px 0 8px; } h4 { margin: 12px 0 4px; font-size: 13px; }
.muted { color: var(--muted); } .ok { color: var(--ok); font-weight: 600; } .bad { color: var(--bad); font-weight: 600; }
.cards { display: flex; flex-wrap: wrap; gap: 8px; margin: 12px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 6px 12px; min-width: 110px; }
.card b { display: block; font-size: 18px; }
.warn { background: #fff6d6; border: 1px solid #e8d48a; padding: 6px 10px; border-radius: 6px; }
.controls { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; margin: 8px 0; position: sticky; top: 0; background: var(--bg); padding: 6px 0; z-index: 1; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: right; white-space: nowrap; }
th:first-child, td:first-child, th.l, td.l { text-align: left; }
th[data-key] { cursor: pointer; user-select: none; background: #f4f4f7; position: sticky; top: 0; }
th[aria-sort="ascending"]::after { content: " \\25B2"; } th[aria-sort="descending"]::after { content: " \\25BC"; }
tr.solved td:first-child { border-left: 4px solid var(--ok); } tr.failed td:first-child { border-left: 4px solid var(--bad); }
.table-wrap { max-height: 60vh; overflow: auto; border: 1px solid var(--line); }
details.task { border: 1px solid var(--line); border-radius: 6px; margin: 6px 0; padding: 4px 10px; }
details.task > summary { cursor: pointer; font-weight: 600; }
details.task.solved { border-left: 4px solid var(--ok); } details.task.failed { border-left: 4px solid var(--bad); }
.pair { display: flex; flex-wrap: wrap; align-items: center; gap: 10px; margin: 4px 0; }
figure { margin: 0; display: inline-flex; flex-direction: column; gap: 2px; }
figcaption { font-size: 12px; color: var(--muted); }
svg.grid { display: block; } svg.shape-wrong { outline: 2px dashed var(--bad); outline-offset: 2px; }
svg.loss text { font-size: 10px; fill: var(--muted); }
.arrow { font-size: 18px; color: var(--muted); }
.message { color: var(--bad); }
@media (max-width: 800px) { body { padding: 8px; } }
@media print {
  .controls, .no-print { display: none !important; }
  body { max-width: none; padding: 0; font-size: 11px; }
  .table-wrap { max-height: none; overflow: visible; border: 0; }
  th[data-key] { position: static; }
  details.task { break-inside: avoid; page-break-inside: avoid; }
  tr, .pair { break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
`;

const num = (x: number | null | undefined, digits: number) =>
  x === null || x === undefined || !Number.isFinite(x) ? "" : x.toFixed(digits);
const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? "–" : `${(100 * x).toFixed(0)}%`;

function summaryRow(t: ReportTask, i: number): string {
  const o = outcomeOf(t);
  const attrs = [
    `data-id="${escapeHtml(t.id)}"`,
    `data-outcome="${o}"`,
    `data-status="${escapeHtml(t.status)}"`,
    `data-score="${num(t.score, 4)}"`,
    `data-seconds="${num(t.seconds, 3)}"`,
    `data-steps="${t.steps}"`,
    `data-loss="${num(t.finalLoss, 6)}"`,
    `data-confidence="${num(t.confidence, 4)}"`,
  ].join(" ");
  const notes = escapeHtml(t.notes.join("; "));
  return `<tr class="${o}" ${attrs}><td><a href="#t${i}">${escapeHtml(t.id)}</a></td><td class="l">${escapeHtml(t.status)}${t.stop ? ` <span class="muted">(${escapeHtml(t.stop)})</span>` : ""}${notes ? ` <span class="muted" title="${notes}">[${notes}]</span>` : ""}</td><td>${pct(t.score)}</td><td>${num(t.seconds, t.seconds < 10 ? 2 : 1)}</td><td>${t.steps}</td><td>${t.finalLoss === null ? "" : t.finalLoss.toPrecision(3)}</td><td>${pct(t.confidence)}</td></tr>`;
}

function taskDetails(t: ReportTask, i: number): string {
  const o = outcomeOf(t);
  return `<details class="task ${o}" id="t${i}" data-i="${i}" data-id="${escapeHtml(t.id)}" data-outcome="${o}" data-confidence="${num(t.confidence, 4)}"><summary>${escapeHtml(t.id)} <span class="muted">— ${o}${t.score !== null ? ` ${pct(t.score)}` : ""}, ${num(t.seconds, 1)} s, ${t.steps} steps${t.copies !== null ? `, ${t.copies} copies${t.restarts ? ` (${t.restarts} restarts)` : ""}` : ""}, conf ${pct(t.confidence)}</span></summary><div class="body"></div></details>`;
}

/** The whole report page. */
export function buildReportHtml(data: ReportData): string {
  const n = data.tasks.length;
  const solved = data.tasks.filter((t) => outcomeOf(t) === "solved").length;
  const failed = data.tasks.filter((t) => outcomeOf(t) === "failed").length;
  const unknown = n - solved - failed;
  const s = data.totals?.score;
  const cards = [
    `<div class="card">tasks<b id="n-tasks">${n}</b></div>`,
    `<div class="card">solved<b id="n-solved">${solved}</b></div>`,
    `<div class="card">failed<b id="n-failed">${failed}</b></div>`,
    unknown ? `<div class="card">no truth<b id="n-unknown">${unknown}</b></div>` : "",
    s ? `<div class="card">ARC score<b id="score">${(100 * s.score).toFixed(2)}%</b></div>` : "",
    s ? `<div class="card">outputs right<b id="outputs">${s.outputsCorrect}/${s.outputsTotal}</b></div>` : "",
    data.totals ? `<div class="card">run time<b>${data.totals.seconds.toFixed(1)} s</b></div>` : "",
    data.totals ? `<div class="card">steps<b>${data.totals.steps}</b></div>` : "",
  ].join("");
  const settings = Object.entries(data.settings)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${escapeHtml(k)}=${escapeHtml(JSON.stringify(v))}`)
    .join(" · ");
  const warnings = data.warnings.length
    ? `<div class="warn">${data.warnings.map(escapeHtml).join("<br>")}</div>`
    : "";
  const head = [
    ["task", "id", false],
    ["status", "status", false],
    ["score", "score", true],
    ["time (s)", "seconds", true],
    ["steps", "steps", true],
    ["final loss", "loss", true],
    ["confidence", "confidence", true],
  ]
    .map(
      ([label, key, isNum]) =>
        `<th data-key="${key}"${isNum ? " data-num" : ""}${key === "status" ? ' class="l"' : ""} title="sort by ${label}">${label}</th>`,
    )
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(data.title)}</title><style>${CSS}</style></head>
<body>
<h1>${escapeHtml(data.title)}</h1>
<div class="muted">state <b id="state">${escapeHtml(data.state)}</b>${data.startedAt ? ` · started ${escapeHtml(data.startedAt)}` : ""}${data.updatedAt ? ` · updated ${escapeHtml(data.updatedAt)}` : ""}<br>tasks ${escapeHtml(data.source ?? "not found")} · solutions ${escapeHtml(data.solutions ?? "none")}<br>${settings}</div>
${warnings}
<div class="cards">${cards}</div>
<h2>Tasks</h2>
<div class="controls"><label>show <select id="filter"><option value="all">all</option><option value="solved">solved</option><option value="failed">failed</option><option value="unknown">no truth</option></select></label>
<label>confidence &ge; <input id="min-conf" type="number" min="0" max="100" step="5" value="0" style="width:5em">%</label>
<button id="expand" type="button">open all</button><button id="collapse" type="button">close all</button><span id="shown" class="muted"></span></div>
<div class="table-wrap"><table id="summary"><thead><tr>${head}</tr></thead><tbody>
${data.tasks.map(summaryRow).join("\n")}
</tbody></table></div>
<h2>Per task</h2>
<p class="muted no-print">Open a task to draw its grids. Wrong cells of an attempt are crossed out; a wrong shape has a dashed red border.</p>
${data.tasks.map(taskDetails).join("\n")}
<script type="application/json" id="ttt-data">${scriptJson(data)}</script>
<script>${CLIENT_CORE}${CLIENT_DOM}</script>
</body></html>
`;
}
