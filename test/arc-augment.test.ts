// Augmentations: known results on small grids, and property tests that every inverse is exact.
import { describe, expect, test } from "bun:test";
import {
  augmentationKey,
  augmentGrid,
  augmentGridChain,
  augmentTask,
  augmentTaskChain,
  chainKey,
  DIHEDRAL_NAMES,
  gridFromRows,
  gridsEqual,
  gridToRows,
  invertAugmentation,
  invertChain,
  parseAugmentation,
  parseChain,
  randomChain,
  randomColourMap,
  randomOrder,
  Rng,
  type Augmentation,
  type Task,
} from "../src/arc/index.ts";
import { randomGrid, randomTask } from "./helpers/random-data.ts";

const G = gridFromRows([
  [1, 2, 3],
  [4, 5, 6],
]);
const dihedral = (name: (typeof DIHEDRAL_NAMES)[number]): Augmentation => ({ kind: "dihedral", name });

const tasksEqual = (a: Task, b: Task) =>
  a.id === b.id &&
  a.train.length === b.train.length &&
  a.test.length === b.test.length &&
  a.train.every(
    (p, i) => gridsEqual(p.input, b.train[i]!.input) && gridsEqual(p.output, b.train[i]!.output),
  ) &&
  a.test.every((p, i) => {
    const q = b.test[i]!;
    return (
      gridsEqual(p.input, q.input) &&
      (p.output === undefined
        ? q.output === undefined
        : q.output !== undefined && gridsEqual(p.output, q.output))
    );
  });

describe("dihedral transforms on a 2x3 grid", () => {
  test.each([
    [
      "id",
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
    ],
    [
      "rot90",
      [
        [4, 1],
        [5, 2],
        [6, 3],
      ],
    ],
    [
      "rot180",
      [
        [6, 5, 4],
        [3, 2, 1],
      ],
    ],
    [
      "rot270",
      [
        [3, 6],
        [2, 5],
        [1, 4],
      ],
    ],
    [
      "flipH",
      [
        [3, 2, 1],
        [6, 5, 4],
      ],
    ],
    [
      "flipV",
      [
        [4, 5, 6],
        [1, 2, 3],
      ],
    ],
    [
      "flipT",
      [
        [1, 4],
        [2, 5],
        [3, 6],
      ],
    ],
    [
      "flipA",
      [
        [6, 3],
        [5, 2],
        [4, 1],
      ],
    ],
  ] as const)("%s", (name, rows) => {
    expect(gridToRows(augmentGrid(dihedral(name), G))).toEqual(rows as unknown as number[][]);
  });

  test("rot90 four times is the identity; rot90 twice is rot180", () => {
    const r = dihedral("rot90");
    expect(gridsEqual(augmentGridChain([r, r, r, r], G), G)).toBe(true);
    expect(gridsEqual(augmentGridChain([r, r], G), augmentGrid(dihedral("rot180"), G))).toBe(true);
  });

  test("the 8 transforms of an asymmetric grid are all different", () => {
    const keys = new Set(DIHEDRAL_NAMES.map((n) => JSON.stringify(gridToRows(augmentGrid(dihedral(n), G)))));
    expect(keys.size).toBe(8);
  });
});

describe("keys", () => {
  test.each([
    [dihedral("rot90"), "rot90"],
    [{ kind: "colours", map: [0, 2, 1, 3, 4, 5, 6, 7, 8, 9] } as Augmentation, "perm:0213456789"],
    [{ kind: "order", order: [2, 0, 1] } as Augmentation, "order:2,0,1"],
  ])("%o <-> %s", (aug, key) => {
    expect(augmentationKey(aug)).toBe(key);
    expect(parseAugmentation(key)).toEqual(aug);
  });

  test("chain keys", () => {
    const chain = parseChain("flipT|perm:0987654321|order:1,0");
    expect(chain).toHaveLength(3);
    expect(chainKey(chain)).toBe("flipT|perm:0987654321|order:1,0");
    expect(chainKey(invertChain(chain))).toBe("order:1,0|perm:0987654321|flipT");
    expect(parseChain("")).toEqual([]);
  });

  test.each([
    ["rot45"],
    ["perm:0123"],
    ["perm:0123456788"],
    ["perm:a123456789"],
    ["order:0,0"],
    ["order:1,2"],
    ["order:"],
    ["order:0,x"],
  ])("bad key %s throws", (key) => expect(() => parseAugmentation(key)).toThrow(RangeError));

  test("augmentations are plain serialisable values", () => {
    const rng = new Rng(3);
    const chain = randomChain(rng, randomTask(rng));
    expect(JSON.parse(JSON.stringify(chain))).toEqual(chain);
  });
});

describe("property: inverse(apply(x)) = x", () => {
  const rng = new Rng(2024);
  const grids = Array.from({ length: 150 }, () => randomGrid(rng));
  const tasks = Array.from({ length: 60 }, (_, i) => randomTask(rng, `t${i}`));

  test.each([...DIHEDRAL_NAMES])("dihedral %s on random grids and tasks", (name) => {
    const aug = dihedral(name);
    const inv = invertAugmentation(aug);
    for (const g of grids) {
      const y = augmentGrid(aug, g);
      expect([y.height, y.width]).toEqual(
        ["rot90", "rot270", "flipT", "flipA"].includes(name)
          ? [g.height, g.width].reverse()
          : [g.height, g.width],
      );
      expect(gridsEqual(augmentGrid(inv, y), g)).toBe(true);
    }
    for (const t of tasks) expect(tasksEqual(augmentTask(inv, augmentTask(aug, t)), t)).toBe(true);
  });

  test("colour permutations (with and without colour 0 fixed)", () => {
    for (const [i, g] of grids.entries()) {
      const keep = i % 2 === 0;
      const aug = randomColourMap(rng, keep);
      if (aug.kind !== "colours") throw new Error("expected colours");
      if (keep) expect(aug.map[0]).toBe(0);
      expect([...aug.map].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(gridsEqual(augmentGrid(invertAugmentation(aug), augmentGrid(aug, g)), g)).toBe(true);
    }
  });

  test("train order", () => {
    for (const t of tasks) {
      const aug = randomOrder(rng, t.train.length);
      const moved = augmentTask(aug, t);
      if (aug.kind !== "order") throw new Error("expected order");
      moved.train.forEach((p, i) => {
        expect(p).toBe(t.train[aug.order[i]!]!);
      });
      expect(tasksEqual(augmentTask(invertAugmentation(aug), moved), t)).toBe(true);
    }
  });

  test("random chains on tasks, through their keys", () => {
    for (const t of tasks) {
      const chain = parseChain(chainKey(randomChain(rng, t, { keepBackground: false })));
      const there = augmentTaskChain(chain, t);
      expect(tasksEqual(augmentTaskChain(invertChain(chain), there), t)).toBe(true);
      // A predicted test output maps back with the inverse chain applied to the grid alone.
      const out = there.test[0]!.output;
      if (out) expect(gridsEqual(augmentGridChain(invertChain(chain), out), t.test[0]!.output!)).toBe(true);
    }
  });

  test("order must match the number of train pairs", () => {
    expect(() => augmentTask({ kind: "order", order: [0] }, tasks.find((t) => t.train.length > 1)!)).toThrow(
      RangeError,
    );
  });
});
