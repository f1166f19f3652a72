// Augmentations of tasks: dihedral transforms, colour permutations and the order of the train pairs.
// Each is a small plain value with a readable key ("rot90", "perm:0123456789", "order:2,0,1") and an
// exact inverse. A chain applies several in turn; its key joins theirs with "|".
import { COLOURS, type Grid } from "./grid.ts";
import {
  DIHEDRAL_INVERSE,
  DIHEDRAL_NAMES,
  applyColourMap,
  applyDihedral,
  type DihedralName,
} from "./dihedral.ts";
import type { Rng } from "./random.ts";
import type { Task } from "./task.ts";

export type Augmentation =
  /** One of the 8 symmetries of the square. */
  | { readonly kind: "dihedral"; readonly name: DihedralName }
  /** Colour c becomes map[c]; map is a permutation of 0..9. */
  | { readonly kind: "colours"; readonly map: readonly number[] }
  /** The train pairs reordered: new train[i] = old train[order[i]]. Grids are unchanged. */
  | { readonly kind: "order"; readonly order: readonly number[] };

/** Several augmentations applied left to right. */
export type AugmentationChain = readonly Augmentation[];

/** The readable key: "rot90", "perm:0123456789", "order:2,0,1". */
export function augmentationKey(aug: Augmentation): string {
  if (aug.kind === "dihedral") return aug.name;
  if (aug.kind === "colours") return `perm:${aug.map.join("")}`;
  return `order:${aug.order.join(",")}`;
}

/** An augmentation from its key. Throws RangeError on a malformed key. */
export function parseAugmentation(key: string): Augmentation {
  if ((DIHEDRAL_NAMES as readonly string[]).includes(key))
    return { kind: "dihedral", name: key as DihedralName };
  if (key.startsWith("perm:")) {
    const digits = key.slice(5);
    const map = [...digits].map(Number);
    if (!/^[0-9]{10}$/.test(digits) || !isPermutation(map, COLOURS))
      throw new RangeError(`bad colour permutation key "${key}"`);
    return { kind: "colours", map };
  }
  if (key.startsWith("order:")) {
    const order = key
      .slice(6)
      .split(",")
      .map((s) => (/^[0-9]+$/.test(s) ? Number(s) : NaN));
    if (!isPermutation(order, order.length)) throw new RangeError(`bad order key "${key}"`);
    return { kind: "order", order };
  }
  throw new RangeError(`unknown augmentation key "${key}"`);
}

/** The augmentation that undoes this one. */
export function invertAugmentation(aug: Augmentation): Augmentation {
  if (aug.kind === "dihedral") return { kind: "dihedral", name: DIHEDRAL_INVERSE[aug.name] };
  if (aug.kind === "colours") return { kind: "colours", map: invertPermutation(aug.map) };
  return { kind: "order", order: invertPermutation(aug.order) };
}

/** Apply to one grid (the order of pairs does not touch grids). */
export function augmentGrid(aug: Augmentation, grid: Grid): Grid {
  if (aug.kind === "dihedral") return applyDihedral(aug.name, grid);
  if (aug.kind === "colours") return applyColourMap(aug.map, grid);
  return grid;
}

/** Apply to a whole task: every grid, and the order of the train pairs. Test pairs keep their order. */
export function augmentTask(aug: Augmentation, task: Task): Task {
  if (aug.kind === "order") {
    if (aug.order.length !== task.train.length) {
      throw new RangeError(`${augmentationKey(aug)}: task ${task.id} has ${task.train.length} train pairs`);
    }
    return { id: task.id, train: aug.order.map((i) => task.train[i]!), test: task.test };
  }
  const g = (grid: Grid) => augmentGrid(aug, grid);
  return {
    id: task.id,
    train: task.train.map((p) => ({ input: g(p.input), output: g(p.output) })),
    test: task.test.map((t) =>
      t.output ? { input: g(t.input), output: g(t.output) } : { input: g(t.input) },
    ),
  };
}

/** The key of a chain: the keys joined by "|" ("" for the empty chain). */
export function chainKey(chain: AugmentationChain): string {
  return chain.map(augmentationKey).join("|");
}

/** A chain from its key. */
export function parseChain(key: string): Augmentation[] {
  return key === "" ? [] : key.split("|").map(parseAugmentation);
}

/** The chain that undoes a chain: the inverses in reverse order. */
export function invertChain(chain: AugmentationChain): Augmentation[] {
  return chain.map(invertAugmentation).reverse();
}

/** Apply a chain to a grid. */
export function augmentGridChain(chain: AugmentationChain, grid: Grid): Grid {
  return chain.reduce((g, aug) => augmentGrid(aug, g), grid);
}

/** Apply a chain to a task. */
export function augmentTaskChain(chain: AugmentationChain, task: Task): Task {
  return chain.reduce((t, aug) => augmentTask(aug, t), task);
}

/** A random dihedral transform (identity included). */
export function randomDihedral(rng: Rng): Augmentation {
  return { kind: "dihedral", name: rng.pick(DIHEDRAL_NAMES) };
}

/** A random colour permutation; with keepBackground, colour 0 stays 0. */
export function randomColourMap(rng: Rng, keepBackground = true): Augmentation {
  const moved = rng.shuffle(keepBackground ? [1, 2, 3, 4, 5, 6, 7, 8, 9] : [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  return { kind: "colours", map: keepBackground ? [0, ...moved] : moved };
}

/** A random order of n train pairs. */
export function randomOrder(rng: Rng, n: number): Augmentation {
  return { kind: "order", order: rng.shuffle([...Array(n).keys()]) };
}

/** A random chain for a task: a dihedral transform, a colour permutation and a train order. */
export function randomChain(
  rng: Rng,
  task: Task,
  options: { keepBackground?: boolean } = {},
): Augmentation[] {
  return [
    randomDihedral(rng),
    randomColourMap(rng, options.keepBackground ?? true),
    randomOrder(rng, task.train.length),
  ];
}

function isPermutation(values: readonly number[], n: number): boolean {
  if (values.length !== n) return false;
  const seen = new Uint8Array(n);
  for (const v of values) {
    if (!Number.isInteger(v) || v < 0 || v >= n || seen[v]) return false;
    seen[v] = 1;
  }
  return true;
}

function invertPermutation(p: readonly number[]): number[] {
  const inv = new Array<number>(p.length);
  p.forEach((v, i) => {
    inv[v] = i;
  });
  return inv;
}
