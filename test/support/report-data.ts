// Report data for tests and bench/report.ts: one small task with every part filled (overridable), a run
// around some tasks, and a large run (ARC-AGI-1's evaluation size: 400 tasks, grids from 5x5 to 30x30,
// three training pairs, two attempts and a 200-point loss curve each): test/report.test.ts checks the
// size of its HTML page, bench/report.ts times building it.
import type { ReportData, ReportTask } from "../../src/report/index.ts";

/** A finished task: one train pair, one test input with two attempts (the first one cell off). */
export function reportTask(id: string, score: number | null, over: Partial<ReportTask> = {}): ReportTask {
  return {
    id,
    status: "ok",
    stop: "stable",
    message: null,
    notes: [],
    score,
    seconds: 1.5,
    steps: 100,
    finalLoss: 0.01,
    confidence: 0.8,
    copies: 4,
    restarts: 0,
    loss: [
      [1, 2],
      [50, 0.5],
      [100, 0.01],
    ],
    train: [
      [
        ["012", "345"],
        ["543", "210"],
      ],
    ],
    test: [
      {
        input: ["01", "23"],
        truth: ["01", "23"],
        attempts: [
          { grid: ["01", "22"], confidence: 0.8, votes: 2 },
          { grid: ["1"], confidence: 0.2, votes: 2 },
        ],
        correct: score === 1,
      },
    ],
    ...over,
  };
}

/** A finished run of these tasks. */
export function reportData(tasks: ReportTask[], title = "run <x>"): ReportData {
  return {
    title,
    runDir: "/r",
    source: "s.json",
    solutions: null,
    state: "finished",
    startedAt: null,
    updatedAt: null,
    settings: { family: "colour-map" },
    totals: null,
    warnings: [],
    tasks,
  };
}

/** An n x n grid as digit rows, the same for every call. */
const rows = (n: number) =>
  Array.from({ length: n }, (_, r) =>
    Array.from({ length: n }, (_, c) => String((r * 7 + c * 3) % 10)).join(""),
  );

export function largeReportData(count = 400): ReportData {
  const tasks = Array.from({ length: count }, (_, i): ReportTask => {
    const n = 5 + (i % 26);
    return reportTask(`task${i}`, i % 3 === 0 ? 1 : 0, {
      loss: Array.from({ length: 200 }, (_, k) => [k * 5, 2 / (k + 1)] as [number, number]),
      train: Array.from({ length: 3 }, () => [rows(n), rows(n)] as [string[], string[]]),
      test: [
        {
          input: rows(n),
          truth: rows(n),
          attempts: [
            { grid: rows(n), confidence: 0.5, votes: 2 },
            { grid: rows(n), confidence: 0.3, votes: 2 },
          ],
          correct: false,
        },
      ],
    });
  });
  return reportData(tasks, `${count}-task run`);
}
