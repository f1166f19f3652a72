// The output frame: a dihedral transform applied to every train output before the model sees the task,
// and undone on every decoded answer (an exact inverse, like the augmentations in src/arc/augment.ts).
// The model has running-max and one-cell-move operations along directions but nothing that maps a
// cell to its mirror image, so a task whose outputs are a reflected or rotated version of its inputs
// (plus edits) is far easier in the frame where the outputs line up with the inputs cell by cell.
//
// The frame is chosen from the train pairs alone: among the transforms that give every train output
// its input's shape, the one under which the most cells agree with the input (mean over pairs of the
// fraction of equal cells). The identity wins unless another transform agrees with clearly more cells
// (FRAME_MARGIN more) and with most cells (FRAME_MINIMUM). On ARC-AGI-1 this picks 8 training tasks and
// 1 evaluation task (90347967), all with outputs that are rotated or mirrored inputs, and leaves the
// tasks whose agreement under a rotation is a coincidence of symmetric shapes (e.g. 25ff71a9, f76d97a5,
// 1c0d0a4b) in the identity.
import {
  applyDihedral,
  DIHEDRAL_INVERSE,
  DIHEDRAL_NAMES,
  type DihedralName,
  type Grid,
  type Task,
} from "../../arc/index.ts";

/** How much more agreement (fraction of cells) a non-identity frame needs over the identity. */
export const FRAME_MARGIN = 0.2;
/** The least agreement a non-identity frame needs. */
export const FRAME_MINIMUM = 0.6;

/** Mean over the train pairs of the fraction of cells where `t(output)` equals the input; -1 when a shape differs. */
export function frameAgreement(task: Task, t: DihedralName): number {
  let sum = 0;
  for (const { input, output } of task.train) {
    const o = applyDihedral(t, output);
    if (o.height !== input.height || o.width !== input.width) return -1;
    let same = 0;
    for (let i = 0; i < o.cells.length; i++) if (o.cells[i] === input.cells[i]) same++;
    sum += same / Math.max(1, o.cells.length);
  }
  return sum / Math.max(1, task.train.length);
}

/** The output frame for a task (see the file comment). */
export function chooseOutputFrame(task: Task): DihedralName {
  const identity = Math.max(0, frameAgreement(task, "id"));
  let best: DihedralName = "id";
  let bestScore = Math.max(identity + FRAME_MARGIN, FRAME_MINIMUM);
  for (const t of DIHEDRAL_NAMES) {
    if (t === "id") continue;
    const s = frameAgreement(task, t);
    if (s >= bestScore) [best, bestScore] = [t, s];
  }
  return best;
}

/** The task as the model sees it: every known output (train, and test when present) in the frame. */
export function toFrame(task: Task, frame: DihedralName): Task {
  if (frame === "id") return task;
  return {
    id: task.id,
    train: task.train.map((p) => ({ input: p.input, output: applyDihedral(frame, p.output) })),
    test: task.test.map((t) =>
      t.output ? { input: t.input, output: applyDihedral(frame, t.output) } : { input: t.input },
    ),
  };
}

/** An answer decoded in the frame, back in the task's own orientation. */
export function fromFrame(frame: DihedralName, grid: Grid): Grid {
  return frame === "id" ? grid : applyDihedral(DIHEDRAL_INVERSE[frame], grid);
}
