// `ttt score <submission.json> <solutions>`: score a submission by the ARC Prize rule.
// Exit 1 when the submission or the solutions are invalid.
import { defineCommand } from "citty";
import {
  checkSubmissionCovers,
  loadSolutions,
  parseJson,
  parseSubmission,
  readSubmission,
  scoreSubmission,
  STDIN_NAME,
  type LoadError,
  type ScoreReport,
} from "../arc/index.ts";
import { UsageError } from "./usage-error.ts";

export default defineCommand({
  meta: {
    name: "score",
    description:
      "Score a submission against solutions (ARC Prize rule: an output counts when either attempt is exactly right)",
  },
  args: {
    submission: {
      type: "positional",
      description: "Submission JSON: {task id: [{attempt_1, attempt_2} per test input]}",
      required: true,
    },
    solutions: {
      type: "positional",
      description:
        "Solutions: a Kaggle *_solutions.json, or tasks with test outputs (task file, folder, challenges file with its solutions beside it)",
      required: true,
    },
    json: { type: "boolean", description: "Print one JSON object instead of text" },
  },
  async run({ args }) {
    const extra = args._.slice(2);
    if (extra.length > 0)
      throw new UsageError(`score takes a submission and a solutions source, got also: ${extra.join(" ")}`);
    if (args.submission === "-" && args.solutions === "-")
      throw new UsageError("only one of the two inputs can be read from stdin");
    const sol = await loadSolutions(args.solutions);
    if (sol.errors.length > 0) return fail("solutions", sol.errors);
    if (sol.solutions.size === 0) throw new Error(`${args.solutions}: no solutions found`);
    const sub = args.submission === "-" ? await readSubmissionFromStdin() : readSubmission(args.submission);
    const problems = [
      ...sub.errors,
      ...checkSubmissionCovers(sub.submission, sol.solutions, args.submission),
    ];
    if (problems.length > 0) return fail("submission", problems);
    const report = scoreSubmission(sub.submission, sol.solutions);
    if (args.json)
      console.log(
        JSON.stringify({ submission: args.submission, solutions: args.solutions, ...report }, null, 2),
      );
    else printReport(report);
  },
});

async function readSubmissionFromStdin(): Promise<ReturnType<typeof parseSubmission>> {
  const parsed = parseJson(await Bun.stdin.text(), STDIN_NAME);
  return "error" in parsed
    ? { submission: new Map(), errors: [parsed.error] }
    : parseSubmission(parsed.value, STDIN_NAME);
}

function fail(what: string, errors: LoadError[]): void {
  console.error(`ttt score: invalid ${what} (${errors.length} problem${errors.length === 1 ? "" : "s"}):`);
  for (const e of errors) console.error(`  ${e.toString()}`);
  process.exitCode = 1;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

function printReport(r: ScoreReport): void {
  console.log(`score    ${pct(r.score)}  (ARC Prize: mean over ${r.tasks} tasks of correct / test outputs)`);
  console.log(`outputs  ${r.outputsCorrect}/${r.outputsTotal} correct (${pct(r.outputFraction)})`);
  console.log(`passed   ${r.passed.length}: ${r.passed.join(" ") || "-"}`);
  const partial = new Map(
    r.perTask
      .filter((t) => t.correct > 0 && t.correct < t.total)
      .map((t) => [t.id, `${t.correct}/${t.total}`]),
  );
  const failed = r.failed.map((id) => (partial.has(id) ? `${id}(${partial.get(id)})` : id));
  console.log(`failed   ${r.failed.length}: ${failed.join(" ") || "-"}`);
  if (r.extraIds.length > 0)
    console.log(`not scored (not in the solutions) ${r.extraIds.length}: ${r.extraIds.join(" ")}`);
}
