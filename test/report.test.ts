// The HTML report builder: escaping, palette, wrong-cell marking, sort/filter controls, no external
// URLs, reading a run directory (truths from the solutions it names), and the size of a 400-task
// report (bench/report.ts times it).
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ARC_PALETTE,
  buildReportHtml,
  CLIENT_CORE,
  escapeHtml,
  readReportData,
  scriptJson,
  type ReportTask,
} from "../src/report/index.ts";
import { largeReportData, reportData as data, reportTask as task } from "./support/report-data.ts";

const dir = mkdtempSync(join(tmpdir(), "ttt-report-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const core = new Function(
  `${CLIENT_CORE}; return { gridSvg, diffCells, lossSvg, cellSize, taskHtml, esc };`,
)() as {
  gridSvg: (rows: string[], truth: string[] | null, box?: number, cell?: number) => string;
  diffCells: (rows: string[], truth: string[] | null) => [number, number][] | "shape" | null;
  lossSvg: (points: [number, number | null][]) => string;
  cellSize: (h: number, w: number, box: number) => number;
  taskHtml: (t: ReportTask) => string;
  esc: (s: string) => string;
};

describe("escaping", () => {
  test("HTML text and attributes", () => {
    expect(escapeHtml(`<a href="x">&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
    expect(core.esc(`<b>"&'`)).toBe("&lt;b&gt;&quot;&amp;&#39;");
  });
  test("embedded JSON cannot close its script element", () => {
    const s = scriptJson({ id: "</script><script>alert(1)</script>", ls: "\u2028" });
    expect(s).not.toContain("</script");
    expect(s).not.toContain("<");
    expect(JSON.parse(s)).toEqual({ id: "</script><script>alert(1)</script>", ls: "\u2028" });
  });
  test("a hostile task id and message are escaped in the page", () => {
    const html = buildReportHtml(data([task(`<img src=x onerror=alert(1)>`, 0, { message: "<b>boom</b>" })]));
    expect(html).not.toContain("<img src=x");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(html.match(/<script/g)!.length).toBe(2);
    expect(core.taskHtml(task("t", 0, { message: "<b>boom</b>" }))).toContain("&lt;b&gt;boom&lt;/b&gt;");
  });

  test("a task's faults, retry and resume are shown beside its status, escaped", () => {
    const html = buildReportHtml(
      data([
        task("t", 1, {
          notes: [
            "try 1: <i>NaN</i>",
            "retried with learning rate x0.5",
            "resumed from checkpoint 2 at step 200",
          ],
        }),
      ]),
    );
    expect(html).toContain("retried with learning rate x0.5");
    expect(html).toContain("resumed from checkpoint 2 at step 200");
    expect(html).not.toContain("<i>NaN</i>");
    expect(html).toContain("&lt;i&gt;NaN&lt;/i&gt;");
  });
});

describe("grids", () => {
  test("the ARC palette, in order", () => {
    expect(ARC_PALETTE).toEqual([
      "#000000",
      "#0074D9",
      "#FF4136",
      "#2ECC40",
      "#FFDC00",
      "#AAAAAA",
      "#F012BE",
      "#FF851B",
      "#7FDBFF",
      "#870C25",
    ]);
    const svg = core.gridSvg(["0123456789"], null);
    for (const c of ARC_PALETTE) expect(svg).toContain(`fill="${c}"`);
  });
  test("wrong cells are crossed out, right ones not", () => {
    expect(core.diffCells(["01", "22"], ["01", "23"])).toEqual([[1, 1]]);
    const svg = core.gridSvg(["01", "22"], ["01", "23"]);
    expect(svg.match(/class="wrong-cell"/g)!.length).toBe(1);
    expect(core.gridSvg(["01", "23"], ["01", "23"])).not.toContain("wrong-cell");
    expect(core.gridSvg(["01", "23"], null)).not.toContain("wrong-cell");
  });
  test("a wrong shape gets a dashed border instead", () => {
    expect(core.diffCells(["1"], ["01", "23"])).toBe("shape");
    const svg = core.gridSvg(["1"], ["01", "23"]);
    expect(svg).toContain("shape-wrong");
    expect(svg).not.toContain("wrong-cell");
  });
  test("cells scale to fit a box: legible from 1x1 to 30x30", () => {
    expect(core.cellSize(1, 1, 200)).toBe(28);
    expect(core.cellSize(30, 30, 200)).toBe(6);
    expect(core.cellSize(30, 1, 200)).toBe(6);
    const big = core.gridSvg(
      Array.from({ length: 30 }, () => "0".repeat(30)),
      null,
      200,
    );
    expect(big).toContain('width="180"');
  });
  test("loss curve: log scale when positive, gaps skipped", () => {
    const svg = core.lossSvg([
      [1, 2],
      [2, null],
      [3, 0.1],
    ]);
    expect(svg).toContain("<polyline");
    expect(svg).toContain("log loss");
    expect(core.lossSvg([[1, 1]])).toContain("no loss curve");
  });
});

describe("the page", () => {
  const html = buildReportHtml(data([task("a", 1), task("b", 0.5), task("c", null, { confidence: null })]));
  test("summary counts, sortable headers, filter controls", () => {
    expect(html).toContain('<b id="n-tasks">3</b>');
    expect(html).toContain('<b id="n-solved">1</b>');
    expect(html).toContain('<b id="n-failed">1</b>');
    for (const key of ["id", "score", "seconds", "steps", "confidence"])
      expect(html).toContain(`data-key="${key}"`);
    expect(html).toContain('<select id="filter">');
    for (const v of ["solved", "failed", "unknown"]) expect(html).toContain(`<option value="${v}">`);
    expect(html).toContain('id="min-conf"');
    expect(html.match(/<details class="task/g)!.length).toBe(3);
    expect(html).toContain("@media print");
  });
  test("self-contained: no external URLs", () => {
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?\s*(https?:|\/\/)/i);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/@import/);
  });
  test("the inline script parses", () => {
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(scripts.length).toBe(1);
    expect(() => new Function(scripts[0]!)).not.toThrow();
  });
});

describe("reading a run directory", () => {
  test("grids from the recorded source, truths from the recorded solutions (any name)", async () => {
    const root = join(dir, "run1");
    mkdirSync(join(root, "run", "tasks"), { recursive: true });
    const challenges = { t1: { train: [{ input: [[1]], output: [[2]] }], test: [{ input: [[1, 1]] }] } };
    writeFileSync(join(root, "sample_challenges.json"), JSON.stringify(challenges));
    writeFileSync(join(root, "sample_scoring.json"), JSON.stringify({ t1: [[[2, 2]]] }));
    const run = {
      format: 1,
      source: join(root, "sample_challenges.json"),
      solutions: join(root, "sample_scoring.json"),
      settings: {},
      loadErrors: [],
      tasks: [
        { id: "t1", record: "tasks/t1.json" },
        { id: "t2", record: "tasks/t2.json" },
      ],
    };
    writeFileSync(join(root, "run", "run.json"), JSON.stringify(run));
    const record = {
      id: "t1",
      status: "ok",
      stop: "stable",
      steps: 10,
      seconds: 1,
      setupSeconds: 0,
      stepsPerSecond: 10,
      finalLoss: 0.1,
      lossCurve: [
        [1, 1],
        [10, 0.1],
      ],
      answers: [{ attempts: [[[2, 1]], [[2, 2]]], confidences: [0.7, 0.3], distinct: 2 }],
      correct: [true],
      score: 1,
    };
    writeFileSync(join(root, "run", "tasks", "t1.json"), JSON.stringify(record));
    const d = await readReportData(join(root, "run"));
    expect(d.warnings).toEqual([]);
    expect(d.tasks.length).toBe(1);
    const t = d.tasks[0]!;
    expect(t.train).toEqual([[["1"], ["2"]]]);
    expect(t.test[0]).toEqual({
      input: ["11"],
      truth: ["22"],
      attempts: [
        { grid: ["21"], confidence: 0.7, votes: null },
        { grid: ["22"], confidence: 0.3, votes: null },
      ],
      correct: true,
    });
    expect(t.confidence).toBe(0.7);
    const html = buildReportHtml(d);
    expect(html).toContain('<b id="n-solved">1</b>');
  });
  test("a missing source is a warning, not a failure", async () => {
    const root = join(dir, "run2");
    mkdirSync(join(root, "tasks"), { recursive: true });
    writeFileSync(
      join(root, "run.json"),
      JSON.stringify({ format: 2, source: "/nowhere/x.json", tasks: [] }),
    );
    const d = await readReportData(root);
    expect(d.warnings.join()).toContain("not found");
  });
  test("not a run directory", async () => {
    await expect(readReportData(join(dir, "none"))).rejects.toThrow(/not a run directory/);
  });
});

test("a 400-task report stays under 8 MiB (its build time: bench/report.ts)", () => {
  const html = buildReportHtml(largeReportData(400));
  expect(html.length).toBeLessThan(8 * 1024 * 1024);
  expect(html).toContain("task399");
});
