// A pretraining run directory's own files: pretrain.json (what was asked, the seeded task order, how far
// it got) rewritten atomically after every round, and rounds.jsonl, one line per finished round.
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../util/atomic-write.ts";
import {
  checkPretrainInfo,
  checkRoundEntry,
  parseFileJson,
  type PretrainInfo,
  type RoundEntry,
} from "./formats/index.ts";
import { readableJson } from "./run-dir.ts";

export function readPretrainInfo(path: string): PretrainInfo {
  return checkPretrainInfo(parseFileJson(readFileSync(path, "utf8"), path), path);
}

export function writePretrainInfo(path: string, info: PretrainInfo): void {
  writeFileAtomic(path, readableJson(info));
}

export function appendRound(path: string, entry: RoundEntry): void {
  appendFileSync(path, `${JSON.stringify(entry)}\n`);
}

/** The finished rounds, in order; a line cut short by a crash (the last) is passed over. */
export function readRounds(path: string): RoundEntry[] {
  if (!existsSync(path)) return [];
  const out: RoundEntry[] = [];
  const lines = readFileSync(path, "utf8").split("\n").filter(Boolean);
  lines.forEach((line, i) => {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      if (i === lines.length - 1) return;
      throw new Error(`${path}: line ${i + 1} is not JSON (damaged)`);
    }
    out.push(checkRoundEntry(raw, `${path} line ${i + 1}`));
  });
  return out;
}
