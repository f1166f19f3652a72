// Random grids and tasks for property tests.
import { makeGrid, type Rng, type Grid, type Task } from "../../src/arc/index.ts";

export function randomGrid(rng: Rng, maxSide = 30): Grid {
  const g = makeGrid(rng.between(1, maxSide), rng.between(1, maxSide));
  const colours = rng.between(1, 10);
  for (let i = 0; i < g.cells.length; i++) g.cells[i] = rng.int(colours);
  return g;
}

export function randomTask(rng: Rng, id = "random"): Task {
  const pair = () => ({ input: randomGrid(rng, 12), output: randomGrid(rng, 12) });
  const train = Array.from({ length: rng.between(1, 5) }, pair);
  const test = Array.from({ length: rng.between(1, 3) }, () =>
    rng.chance(0.5) ? pair() : { input: randomGrid(rng, 12) },
  );
  return { id, train, test };
}
