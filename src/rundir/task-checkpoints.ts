// A job's checkpoints, as its worker sees them: the config hash that a checkpoint must carry to be
// continued (family, model, the task's content, seed, steps, chunk, patience, optimizer, try),
// loading the newest good snapshot (damaged versions named and passed over), and saving snapshots with
// retention. Saving never fails the task: a checkpoint that cannot be written (a full disk) is a warning
// naming the folder, the reason and the version a resume would start from; the versions before stay.
import ortPkg from "onnxruntime-node/package.json" with { type: "json" };
import pkg from "../../package.json" with { type: "json" };
import type { TaskModel } from "../models/task-model.ts";
import { canonicalJson } from "../util/hash.ts";
import { CheckpointStore, type CheckpointMeta, versionName } from "./checkpoint-store.ts";
import { sha256 } from "../util/hash.ts";
import { optimOf } from "../loop/trainer.ts";
import type { LoopSnapshot } from "../loop/snapshot.ts";
import { snapshotFiles, snapshotFromFiles } from "./snapshot-files.ts";
import type { Job } from "../loop/job.ts";
import { writeFailureReason } from "../util/write-failure.ts";

export const VERSIONS = { ttt: pkg.version, ort: ortPkg.version };

/** The hash a job's checkpoints carry: everything that decides the numbers a resumed loop computes. */
export function configHash(job: Job, model: TaskModel<unknown>): string {
  const p = job.plan;
  // The hash's inputs (their names included) are those of checkpoint format 1, so the checkpoints of
  // runs written before format 2 still match: `format` stays 1 and the try is keyed `attempt`.
  return sha256(
    canonicalJson({
      format: 1,
      family: job.family,
      model: model.key,
      task: sha256(JSON.stringify(job.task)),
      seed: p.seed,
      steps: p.steps,
      chunk: p.chunk,
      patience: p.patience,
      optim: optimOf(model, job.lrScale),
      attempt: job.try ?? 1,
      // added after format 1: present only when the task starts from a prior
      ...(job.prior ? { prior: job.prior.sha256 } : {}),
    }),
  );
}

export interface Loaded {
  snapshot?: LoopSnapshot;
  version?: number;
  /** Damaged or unusable versions, each naming its file. */
  problems: string[];
}

export class TaskCheckpoints {
  readonly store: CheckpointStore;
  readonly hash: string;
  written = 0;
  private warned = false;
  private lastLoss: number | null = null;
  /** The newest version this job wrote or went on from: where a resume would start. */
  private lastGood: { version: number; step: number } | null = null;

  constructor(
    private readonly job: Job & { checkpoint: NonNullable<Job["checkpoint"]> },
    model: TaskModel<unknown>,
    private readonly warn: (message: string) => void,
  ) {
    this.store = new CheckpointStore(job.checkpoint.dir, job.checkpoint.label);
    this.hash = configHash(job, model);
  }

  /** The newest good snapshot of this job's config, if any. */
  load(): Loaded {
    this.store.debris(true);
    const tryNumber = this.job.try ?? 1;
    const r = this.store.loadNewest(
      (m) =>
        m.configHash !== this.hash
          ? m.try !== tryNumber
            ? `try ${m.try}, this is try ${tryNumber}`
            : "made with other settings (config hash differs)"
          : undefined,
      (c) => snapshotFromFiles(c.files),
    );
    const problems = r.problems.map((p) => `checkpoint ${p}`);
    if (!r.found) return { problems };
    const v = r.found.manifest.versions;
    if (v.ttt !== VERSIONS.ttt || v.ort !== VERSIONS.ort)
      this.warn(
        `${this.job.checkpoint.label}: checkpoint written by ttt ${v.ttt} / ONNX Runtime ${v.ort}, continued by ttt ${VERSIONS.ttt} / ONNX Runtime ${VERSIONS.ort}`,
      );
    this.lastGood = { version: r.found.manifest.version, step: r.found.manifest.step };
    return { snapshot: r.found.value, version: r.found.manifest.version, problems };
  }

  /** Save a snapshot as the next version and apply the retention; a failure only warns (once). */
  save(s: LoopSnapshot): void {
    const chunkLosses = s.losses.slice(-Math.max(1, Math.min(s.losses.length, this.job.plan.chunk)));
    this.lastLoss = chunkLosses.length
      ? chunkLosses.reduce((a, b) => a + b, 0) / chunkLosses.length
      : this.lastLoss;
    const meta: CheckpointMeta = {
      task: this.job.id,
      step: s.step,
      loss: this.lastLoss !== null && Number.isFinite(this.lastLoss) ? this.lastLoss : null,
      final: s.stop !== null,
      stop: s.stop,
      try: this.job.try ?? 1,
      retry: this.job.retry ?? null,
      configHash: this.hash,
      seed: this.job.plan.seed,
      versions: VERSIONS,
    };
    let written = false;
    try {
      const m = this.store.write(meta, snapshotFiles(s));
      written = true;
      this.written++;
      this.lastGood = { version: m.version, step: m.step };
      this.warned = false;
      this.store.prune(Math.max(1, this.job.checkpoint.keep));
    } catch (e) {
      const label = this.job.checkpoint.label;
      const from = this.lastGood
        ? `${label}/${versionName(this.lastGood.version)} (step ${this.lastGood.step})`
        : "the task's first step";
      if (!this.warned)
        this.warn(
          written
            ? `old checkpoints not removed in ${label}: ${writeFailureReason(e)}`
            : `checkpoint of step ${s.step} not written in ${label}: ${writeFailureReason(e)}; the task goes on (a resume would start from ${from})`,
        );
      this.warned = true;
    }
  }
}
