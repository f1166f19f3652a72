// The Kubernetes examples, checked as files (no Kubernetes server can be installed here): the Indexed
// Job parses, completions = parallelism = TTT_SHARD_COUNT, its command is `ttt solve --shard auto
// --run-dir <root> --resume` with the binary, tasks and root on the shared volume (a claim), and the
// merge Job merges that root from the same claim; README's section names them. Then `--shard auto`
// under JOB_COMPLETION_INDEX (as Kubernetes sets it) with the manifest's count picks that shard.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { PROJECT_ROOT } from "./helpers/cli.ts";

interface Container {
  command: string[];
  args: string[];
  env?: { name: string; value: string }[];
  volumeMounts: { name: string; mountPath: string }[];
}
interface JobSpec {
  completionMode?: string;
  completions: number;
  parallelism?: number;
  template: {
    spec: {
      restartPolicy: string;
      containers: Container[];
      volumes: { name: string; persistentVolumeClaim?: { claimName: string } }[];
    };
  };
}

const load = (file: string) => {
  const docs = parseAllDocuments(readFileSync(join(PROJECT_ROOT, "examples/k8s", file), "utf8"));
  for (const d of docs) expect(d.errors).toEqual([]);
  const jobs = docs.map((d) => d.toJS()).filter((d) => d?.kind === "Job");
  expect(jobs).toHaveLength(1);
  return jobs[0] as { apiVersion: string; metadata: { name: string }; spec: JobSpec };
};
const shards = load("ttt-shards.yaml");
const merge = load("ttt-merge.yaml");
const container = (j: typeof shards) => j.spec.template.spec.containers[0]!;
const argAfter = (args: string[], flag: string) => args[args.indexOf(flag) + 1];
/** The volume a path lies on: the mount whose path is its prefix, and that volume's claim. */
const claimOf = (j: typeof shards, path: string) => {
  const m = container(j).volumeMounts.find((v) => path.startsWith(`${v.mountPath}/`));
  return j.spec.template.spec.volumes.find((v) => v.name === m?.name)?.persistentVolumeClaim?.claimName;
};

describe("examples/k8s", () => {
  test("the Indexed Job: N = completions = parallelism = TTT_SHARD_COUNT; solve --shard auto --resume on the shared volume", () => {
    expect(shards.apiVersion).toBe("batch/v1");
    const spec = shards.spec;
    expect(spec.completionMode).toBe("Indexed");
    expect(spec.parallelism).toBe(spec.completions);
    const c = container(shards);
    expect(c.env?.find((e) => e.name === "TTT_SHARD_COUNT")?.value).toBe(String(spec.completions));
    expect(c.args[0]).toBe("solve");
    expect(argAfter(c.args, "--shard")).toBe("auto");
    expect(c.args).toContain("--resume");
    const root = argAfter(c.args, "--run-dir")!;
    const claim = claimOf(shards, root);
    expect(claim).toBeDefined();
    expect(claimOf(shards, c.command[0]!)).toBe(claim!);
    expect(claimOf(shards, c.args[1]!)).toBe(claim!);
    expect(spec.template.spec.restartPolicy).toBe("Never");
  });

  test("the merge Job: ttt merge of the same root, from the same claim", () => {
    const c = container(merge);
    const root = argAfter(container(shards).args, "--run-dir")!;
    expect(c.args.slice(0, 2)).toEqual(["merge", root]);
    expect(claimOf(merge, root)).toBe(claimOf(shards, root)!);
    expect(claimOf(merge, argAfter(c.args, "-o")!)).toBe(claimOf(shards, root)!);
    expect(c.command).toEqual(container(shards).command);
  });

  test("README's section names both files, the wait between them and that they were not run on a cluster", () => {
    const readme = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## On many machines"));
    expect(section).toContain("examples/k8s/ttt-shards.yaml");
    expect(section).toContain("examples/k8s/ttt-merge.yaml");
    expect(section).toContain("kubectl wait --for=condition=complete");
    // An index out of retries leaves the Job Failed, never Complete: the wait ends on either.
    expect(section).toContain("kubectl wait --for=condition=failed --timeout=48h job/ttt-shards &");
    expect(section).toContain("TTT_SHARD_COUNT");
    expect(section).toContain("not been run on a Kubernetes cluster");
  });
});

describe("--shard auto under JOB_COMPLETION_INDEX", () => {
  const dir = mkdtempSync(join(tmpdir(), "ttt-k8s-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const count = shards.spec.completions;

  test(`index ${count - 1} of the manifest's ${count}: that shard's folder and tasks`, () => {
    const { SLURM_ARRAY_TASK_ID: _, ...env } = process.env;
    const r = Bun.spawnSync(
      [
        process.execPath,
        "src/cli/main.ts",
        "solve",
        "fixtures/tasks_challenges.json",
        "--shard",
        "auto",
        "--run-dir",
        dir,
        "--family",
        "colour-map",
        "--steps",
        "5",
      ],
      {
        cwd: PROJECT_ROOT,
        env: {
          ...env,
          JOB_COMPLETION_INDEX: String(count - 1),
          TTT_SHARD_COUNT: String(count),
          NO_COLOR: "1",
        },
      },
    );
    expect(r.exitCode).toBe(0);
    const name = `shard-${String(count - 1).padStart(3, "0")}-of-${String(count).padStart(3, "0")}`;
    const run = JSON.parse(readFileSync(join(dir, name, "run.json"), "utf8"));
    expect(run.shard.index).toBe(count - 1);
    expect(run.shard.count).toBe(count);
    expect(run.tasks.map((t: { id: string }) => t.id)).toEqual(
      run.shard.tasks
        .filter((t: { shard: number }) => t.shard === count - 1)
        .map((t: { id: string }) => t.id),
    );
    expect(JSON.parse(readFileSync(join(dir, name, "submission.json"), "utf8"))).toContainAllKeys(
      run.tasks.map((t: { id: string }) => t.id),
    );
  });
});
