// Model families by name, and loading one by name or from a module path. A family builds, for one task,
// the ModelSpec that src/train turns into training graphs (src/models/task-model.ts is the contract).
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { ModelSpec } from "../train/spec.ts";
import type { ModelFamily } from "./task-model.ts";

/** Model families by name (literal imports, so a compiled binary bundles them). */
export const FAMILIES: Record<string, () => Promise<Record<string, unknown>>> = {
  multitensor: () => import("./multitensor/index.ts"),
  "colour-map": () => import("./colour-map.ts"),
};
export const DEFAULT_FAMILY = "multitensor";

const isFamily = (x: unknown): x is ModelFamily<ModelSpec> =>
  typeof x === "object" &&
  x !== null &&
  typeof (x as ModelFamily).build === "function" &&
  typeof (x as ModelFamily).name === "string";

/**
 * Load a model family by name (see FAMILIES) or from a module path (relative to the working folder);
 * the module's `family` or default export, or else its only export that is a ModelFamily.
 */
export async function loadFamily(nameOrPath: string): Promise<ModelFamily<ModelSpec>> {
  const known = Object.keys(FAMILIES).join(", ");
  let mod: Record<string, unknown>;
  try {
    const named = Object.hasOwn(FAMILIES, nameOrPath) ? FAMILIES[nameOrPath] : undefined;
    mod = named ? await named() : await import(pathToFileURL(resolve(nameOrPath)).href);
  } catch (e) {
    throw new Error(
      `model family "${nameOrPath}" cannot be loaded (families: ${known}): ${(e as Error).message}`,
    );
  }
  if (isFamily(mod.family)) return mod.family;
  if (isFamily(mod.default)) return mod.default;
  const found = Object.values(mod).filter(isFamily);
  if (found.length === 1) return found[0]!;
  throw new Error(
    `model family "${nameOrPath}": the module exports ${found.length} model families, expected one (or a "family" export)`,
  );
}
