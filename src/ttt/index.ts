// Test-time training of one model per task: plans, budgets, the training loop, anytime answer
// selection, workers, the run directory and report. Re-exports only.
export * from "./units.ts";
export * from "./budget.ts";
export * from "./plan.ts";
export * from "./select.ts";
export * from "./ema.ts";
export * from "./stability.ts";
export * from "./engine.ts";
export * from "./solve-task.ts";
export * from "./protocol.ts";
export * from "./worker.ts";
export * from "./pool.ts";
export * from "./inputs.ts";
export * from "./report.ts";
export * from "./run-dir.ts";
export * from "./progress.ts";
export * from "./run.ts";
export * from "./baseline.ts";
export * from "./results.ts";
