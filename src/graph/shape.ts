// Static shape arithmetic shared by the ops: numpy broadcasting, axis normalisation, checks.
import { GraphError, type Shape } from "./graph.ts";

const fmt = (s: Shape) => `[${s.join(",")}]`;

/** Numpy-style broadcast of several shapes; the error names the op and every shape. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const k = s.length - rank + i;
      const v = k >= 0 ? s[k]! : 1;
      if (v === 1) continue;
      if (d !== 1 && d !== v) {
        throw new GraphError(
          `${op}: shapes ${shapes.map(fmt).join(" and ")} do not broadcast (axis ${i}: ${d} vs ${v})`,
        );
      }
      d = v;
    }
    out.push(d);
  }
  return out;
}

export function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new GraphError(`${op}: axis ${axis} out of range for rank ${rank}`);
  return a;
}

export function normAxes(op: string, axes: readonly number[], rank: number): number[] {
  const out = axes.map((a) => normAxis(op, a, rank));
  if (new Set(out).size !== out.length) throw new GraphError(`${op}: repeated axis in [${axes.join(",")}]`);
  return out.sort((a, b) => a - b);
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export { fmt as formatShape };
