// The report of a real run in headless Chromium: summary counts match report.json, a failed task shows
// its wrong cells crossed out, sorting and filtering work, no console errors, a screenshot is taken.
// Skips (loudly) when Debian's chromium is not installed at /usr/bin/chromium.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnTtt } from "./helpers/cli.ts";

const CHROMIUM = "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  console.warn(`report-browser.test.ts: SKIPPED, ${CHROMIUM} is absent (apt-get install -y chromium)`);

const dir = mkdtempSync(join(tmpdir(), "ttt-report-browser-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { ...process.env, TTT_CACHE_DIR: join(dir, "cache"), NO_COLOR: "1" };

const ttt = (...args: string[]) => spawnTtt(args, env);

describe.skipIf(!haveChromium)("the report in headless Chromium", () => {
  test("a fixture run's report", async () => {
    const runDir = join(dir, "run");
    const solve = await ttt(
      "solve",
      "fixtures/tasks_challenges.json",
      "--family",
      "colour-map",
      "--run-dir",
      runDir,
      "-o",
      join(dir, "sub.json"),
    );
    expect(solve.code).toBe(0);
    expect(existsSync(join(runDir, "report.html"))).toBe(true); // written by the run itself
    const rep = await ttt("report", runDir, "-o", join(dir, "report.html"));
    expect(rep.stderr).toBe("");
    expect(rep.code).toBe(0);
    const report = JSON.parse(readFileSync(join(runDir, "report.json"), "utf8"));
    const solutions = JSON.parse(readFileSync("fixtures/tasks_solutions.json", "utf8"));
    // A failed task whose attempts have the truth's shape: its wrong cells, counted here.
    let expectedWrong = 0;
    let failedId = "";
    for (const t of report.tasks) {
      if (t.score !== 0 || failedId) continue;
      const rec = JSON.parse(readFileSync(join(runDir, "tasks", `${t.id}.json`), "utf8"));
      let wrong = 0;
      let sameShape = true;
      rec.answers.forEach((a: { attempts: number[][][] }, i: number) => {
        const truth = solutions[t.id][i];
        for (const g of a.attempts.slice(0, 2)) {
          if (g.length !== truth.length || g[0].length !== truth[0].length) sameShape = false;
          else
            truth.forEach((row: number[], r: number) => {
              row.forEach((v, c) => {
                if (g[r]![c] !== v) wrong++;
              });
            });
        }
      });
      if (sameShape && wrong > 0) [failedId, expectedWrong] = [t.id, wrong];
    }

    const { chromium } = await import("playwright-core");
    const context = await chromium.launchPersistentContext(mkdtempSync(join(dir, "profile-")), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
      page.on("pageerror", (e) => problems.push(e.message));
      page.on("request", (r) => requests.push(r.url()));
      await page.goto(`file://${join(dir, "report.html")}`);

      const text = async (sel: string) => (await page.textContent(sel))?.trim();
      expect(await text("#n-tasks")).toBe(String(report.totals.tasks));
      expect(await text("#n-solved")).toBe(String(report.totals.score.passed.length));
      expect(await text("#score")).toBe(`${(100 * report.totals.score.score).toFixed(2)}%`);
      expect(await text("#outputs")).toBe(
        `${report.totals.score.outputsCorrect}/${report.totals.score.outputsTotal}`,
      );
      expect(await page.locator("#summary tbody tr").count()).toBe(report.totals.tasks);

      // Grids are drawn when a task is opened; the failed task's wrong cells are crossed out.
      expect(failedId).not.toBe("");
      const details = page.locator(`details.task[data-id="${failedId}"]`);
      expect(await details.locator("svg.grid").count()).toBe(0);
      await details.locator("summary").click();
      expect(await details.locator("svg.grid").count()).toBeGreaterThan(0);
      expect(await details.locator(".wrong-cell").count()).toBe(expectedWrong);
      expect(await details.locator("svg.loss polyline").count()).toBe(1);
      const shot = join(dir, "report.png");
      await details.screenshot({ path: shot });
      expect(statSync(shot).size).toBeGreaterThan(5000);
      await page.screenshot({ path: join(dir, "page.png"), fullPage: true });

      // Sorting by steps (descending on the second click) and filtering.
      await page.click('#summary th[data-key="steps"]');
      await page.click('#summary th[data-key="steps"]');
      const steps = await page.$$eval("#summary tbody tr", (rows) =>
        rows.map((r) => Number(r.getAttribute("data-steps"))),
      );
      expect(steps).toEqual([...steps].sort((a, b) => b - a));
      await page.selectOption("#filter", "solved");
      expect(await page.locator("#summary tbody tr:visible").count()).toBe(report.totals.score.passed.length);
      await page.selectOption("#filter", "all");
      await page.fill("#min-conf", "101");
      expect(await page.locator("#summary tbody tr:visible").count()).toBe(0);

      expect(problems).toEqual([]);
      expect(requests.filter((u) => !u.startsWith("file://"))).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120000);
});
