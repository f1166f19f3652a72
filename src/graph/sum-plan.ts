// How a sum or mean over some axes is emitted so that ONNX Runtime's CPU kernels run it at the cost of
// its arithmetic. Measured there (one thread, bench/README.md "step"): ReduceSum and ReduceMean cost
// about 0.15 us per outer block when kept axes sit on both sides of the reduced ones ("KRK"), and they
// count a size-1 axis as a kept one, so [8,8,6,1,3,1] summed over axis 4 took 62 us against 2 us for
// the same sum as [384,3] over axis 1. So: size-1 axes are dropped and runs of kept or reduced axes
// merged (a Reshape either side, which costs no copy); a KRK sum with a small inner block becomes one
// MatMul with a stack of identity matrices ([outer, r*inner] @ [r*inner, inner]), which costs
// 2*r*inner^2 flops per outer block; the rest is left to the kernel as it is.
/** A sum over merged axes: `shape` with `axes` reduced (keepdims), or a MatMul for "KRK". */
export type SumPlan =
  | { kind: "direct" }
  | { kind: "reshaped"; shape: number[]; axes: number[] }
  | { kind: "matmul"; outer: number; reduced: number; inner: number };

/** A KRK sum is a MatMul when its stacked identity has at most this many entries (r * inner^2). */
export const MATMUL_SUM_LIMIT = 2048;

/** Below this many outer blocks a KRK sum costs the kernel little (about 0.15 us each). */
export const SLOW_OUTER = 16;

type Run = { size: number; reduced: boolean };

/** Neighbouring axes merged into runs of kept or reduced ones; size-1 axes dropped or counted as kept. */
function runsOf(shape: readonly number[], axes: readonly number[], dropOnes: boolean): Run[] {
  const runs: Run[] = [];
  shape.forEach((d, i) => {
    if (d === 1 && dropOnes) return;
    const reduced = axes.includes(i) && d !== 1;
    const last = runs[runs.length - 1];
    if (last && last.reduced === reduced) last.size *= d;
    else runs.push({ size: d, reduced });
  });
  return runs;
}

/** The kernel's slow case: kept axes on both sides of one reduced run, with enough outer blocks to matter. */
const slow = (runs: Run[]) => runs.length === 3 && runs[1]!.reduced && runs[0]!.size >= SLOW_OUTER;

/** The plan for summing `shape` over the (sorted, distinct) `axes`. */
export function planSum(shape: readonly number[], axes: readonly number[]): SumPlan {
  // what the kernel sees: size-1 axes count as kept ones
  if (!slow(runsOf(shape, axes, false))) return { kind: "direct" };
  const runs = runsOf(shape, axes, true);
  if (runs.length === 3 && runs[1]!.reduced) {
    // still kept-reduced-kept without the size-1 axes: a MatMul when its identity stack is small
    const [outer, reduced, inner] = runs.map((r) => r.size) as [number, number, number];
    return reduced * inner * inner <= MATMUL_SUM_LIMIT
      ? { kind: "matmul", outer, reduced, inner }
      : { kind: "direct" };
  }
  return {
    kind: "reshaped",
    shape: runs.map((r) => r.size),
    axes: runs.flatMap((r, i) => (r.reduced ? [i] : [])),
  };
}

/** The [r*inner, inner] stack of r identity matrices, times `scale`. */
export function stackedIdentity(reduced: number, inner: number, scale: number): number[] {
  const out = new Array<number>(reduced * inner * inner).fill(0);
  for (let r = 0; r < reduced; r++) for (let i = 0; i < inner; i++) out[(r * inner + i) * inner + i] = scale;
  return out;
}
