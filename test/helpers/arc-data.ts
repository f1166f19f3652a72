// Where the shared ARC-AGI-1 data lives, and a loud note when it is absent (tests that need it skip).
import { existsSync } from "node:fs";
import { join } from "node:path";

/** ../shared/arc relative to the project root. */
export const ARC_ROOT = join(import.meta.dir, "..", "..", "..", "shared", "arc");
export const ARC_AGI_1 = join(ARC_ROOT, "arc-agi-1");

const NEEDED = [
  "training_challenges.json",
  "training_solutions.json",
  "evaluation_challenges.json",
  "evaluation_solutions.json",
];

/** True when all four ARC-AGI-1 files are present; warns loudly (once per file that asks) when not. */
export function hasArcAgi1(who: string): boolean {
  const missing = NEEDED.filter((f) => !existsSync(join(ARC_AGI_1, f)));
  if (missing.length > 0)
    console.warn(
      `\n!!! ${who}: ARC-AGI-1 data missing in ${ARC_AGI_1} (${missing.join(", ")}); these tests are SKIPPED.\n`,
    );
  return missing.length === 0;
}
