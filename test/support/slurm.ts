// A private one-node Slurm cluster for tests: Debian's slurm-wlm and munge, installed by .ci/run (this
// file installs nothing). munged runs as the munge user with its socket in a folder of our own, and
// slurmctld and slurmd read a slurm.conf written there too (own ports, state and spool folders, pid and
// log files), so nothing outside that folder is used and several clusters never meet. Settings that
// work on this kind of machine (shared/docs/FACTS.md): proctrack/pgid and task/none (the cgroup
// plugins fail without a cgroup namespace), SlurmctldHost=localhost, slurmd -N localhost, SlurmUser
// root; select/cons_tres with CR_CPU so one-CPU jobs share the node (the default select/linear gives
// each job the whole node, and an array's tasks would run one after another). Every wait is for an event (a socket, the node idle, a job state) with a bound that fails
// loudly, naming what it waited for and the daemons' log tails. The daemons are stopped by their pids.
import { chownSync, chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { waitFor } from "./wait.ts";

const PROGRAMS = ["munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "scancel", "sinfo"];

/** Why the cluster cannot run here (a program or the munge user missing), or undefined. */
export function slurmMissing(): string | undefined {
  const absent = PROGRAMS.filter((p) => !Bun.which(p, { PATH: `${process.env.PATH}:/usr/sbin:/sbin` }));
  if (absent.length) return `not installed: ${absent.join(", ")} (apt-get install slurm-wlm munge)`;
  if (!readFileSync("/etc/passwd", "utf8").includes("\nmunge:")) return "no munge user";
  if (process.getuid?.() !== 0) return "the test cluster runs its daemons as root";
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

const sbin = (p: string) => Bun.which(p, { PATH: `${process.env.PATH}:/usr/sbin:/sbin` }) ?? p;

/** A process is gone when /proc has no entry for it or it is a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export class SlurmCluster {
  readonly conf: string;
  private readonly pids = new Map<string, number>();

  private constructor(readonly dir: string) {
    this.conf = join(dir, "slurm.conf");
  }

  /** Environment for Slurm's clients (and jobs: sbatch passes its environment on). */
  env(extra: Record<string, string> = {}): Record<string, string | undefined> {
    return { ...process.env, SLURM_CONF: this.conf, ...extra };
  }

  /** A Slurm client command, synchronously; throws with its output when it fails (unless `allowFail`). */
  run(argv: string[], o: { env?: Record<string, string>; cwd?: string; allowFail?: boolean } = {}): Run {
    const r = Bun.spawnSync(argv, {
      env: this.env(o.env),
      cwd: o.cwd ?? this.dir,
      stdout: "pipe",
      stderr: "pipe",
    });
    const out = { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
    if (out.code !== 0 && !o.allowFail)
      throw new Error(`${argv.join(" ")} failed (exit ${out.code}): ${out.stderr || out.stdout}`);
    return out;
  }

  /** Start munged, slurmctld and slurmd with everything under `dir`; resolves once the node is idle. */
  static async start(dir: string): Promise<SlurmCluster> {
    const c = new SlurmCluster(dir);
    await c.boot();
    return c;
  }

  private logTails(): string {
    return ["munge/munged.log", "slurmctld.log", "slurmd.log"]
      .map((f) => join(this.dir, f))
      .filter((f) => existsSync(f))
      .map((f) => `--- ${f}\n${readFileSync(f, "utf8").trim().split("\n").slice(-8).join("\n")}`)
      .join("\n");
  }

  private async boot(): Promise<void> {
    const d = this.dir;
    for (const sub of ["state", "spool", "munge"]) mkdirSync(join(d, sub), { recursive: true });
    // The munge user must reach its folder: `dir` (and the folders above it) searchable by all.
    chmodSync(d, 0o755);
    // munged insists on its socket folder being its own and searchable by all.
    const [uid, gid] = idsOf("munge");
    chownSync(join(d, "munge"), uid, gid);
    chmodSync(join(d, "munge"), 0o755);
    const socket = join(d, "munge", "munge.socket");
    const munged = Bun.spawnSync(
      [
        "runuser",
        "-u",
        "munge",
        "--",
        sbin("munged"),
        `--socket=${socket}`,
        `--pid-file=${join(d, "munge", "munged.pid")}`,
        `--log-file=${join(d, "munge", "munged.log")}`,
        `--seed-file=${join(d, "munge", "munged.seed")}`,
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    if (munged.exitCode !== 0) throw new Error(`munged did not start: ${munged.stderr.toString()}`);
    this.pids.set("munged", await this.pidFrom(join(d, "munge", "munged.pid"), "munged"));
    await waitFor(() => (existsSync(socket) ? true : undefined), {
      what: "munge's socket",
      timeoutMs: 15 * 1000,
      detail: () => this.logTails(),
    });
    const [ctldPort, dPort] = [await freePort(), await freePort()];
    writeFileSync(this.conf, slurmConf(d, socket, ctldPort, dPort));
    this.daemon([sbin("slurmctld"), "-f", this.conf], "slurmctld");
    this.pids.set("slurmctld", await this.pidFrom(join(d, "slurmctld.pid"), "slurmctld"));
    this.daemon([sbin("slurmd"), "-N", "localhost", "-f", this.conf], "slurmd");
    this.pids.set("slurmd", await this.pidFrom(join(d, "slurmd.pid"), "slurmd"));
    await waitFor(
      () =>
        this.run(["sinfo", "-h", "-o", "%T"], { allowFail: true }).stdout.trim() === "idle"
          ? true
          : undefined,
      { what: "the node to be idle (sinfo)", timeoutMs: 30 * 1000, detail: () => this.logTails() },
    );
  }

  private daemon(argv: string[], name: string): void {
    const r = Bun.spawnSync(argv, { env: this.env(), stdout: "pipe", stderr: "pipe" });
    if (r.exitCode !== 0)
      throw new Error(
        `${name} did not start (exit ${r.exitCode}): ${r.stderr.toString()}\n${this.logTails()}`,
      );
  }

  private pidFrom(file: string, name: string): Promise<number> {
    return waitFor(
      () => {
        const n = existsSync(file) ? Number(readFileSync(file, "utf8").trim()) : Number.NaN;
        return Number.isInteger(n) && n > 0 ? n : undefined;
      },
      { what: `${name}'s pid file ${file}`, timeoutMs: 15 * 1000, detail: () => this.logTails() },
    );
  }

  /** sbatch; returns the job id (the array's id for an array). */
  sbatch(args: string[], env: Record<string, string> = {}): string {
    const r = this.run(["sbatch", "--parsable", ...args], { env });
    return r.stdout.trim().split(";")[0]!;
  }

  /** Each job's (or array task's) state by id as scontrol shows it: "5_1" -> "COMPLETED". */
  states(jobId: string): Map<string, string> {
    const r = this.run(["scontrol", "-o", "show", "job", jobId], { allowFail: true });
    const out = new Map<string, string>();
    for (const line of r.stdout.split("\n")) {
      const state = /JobState=(\S+)/.exec(line)?.[1];
      if (!state) continue;
      const array = /ArrayJobId=(\d+) ArrayTaskId=(\S+)/.exec(line);
      out.set(array ? `${array[1]}_${array[2]}` : /JobId=(\d+)/.exec(line)![1]!, state);
    }
    return out;
  }

  /** Wait until no job of `jobId` is pending or running; its final states. */
  async waitDone(jobId: string, seconds: number): Promise<Map<string, string>> {
    return waitFor(
      () => {
        const s = this.states(jobId);
        return s.size > 0 &&
          [...s.values()].every(
            (x) => !/PENDING|RUNNING|CONFIGURING|COMPLETING|REQUEUED|RESIZING|SUSPENDED/.test(x),
          )
          ? s
          : undefined;
      },
      {
        what: `job ${jobId} to end`,
        timeoutMs: seconds * 1000,
        detail: () => `states: ${JSON.stringify([...this.states(jobId)])}\n${this.logTails()}`,
      },
    );
  }

  /** Shut the daemons down (scontrol shutdown, then munged), waiting for each pid to be gone; SIGKILL past the bound. */
  async stop(): Promise<void> {
    this.run(["scontrol", "shutdown"], { allowFail: true });
    for (const name of ["slurmd", "slurmctld", "munged"]) {
      const pid = this.pids.get(name);
      if (pid === undefined) continue;
      if (name === "munged" && alive(pid)) process.kill(pid, "SIGTERM");
      try {
        await waitFor(() => (alive(pid) ? undefined : true), {
          what: `${name} (pid ${pid}) to exit`,
          timeoutMs: 20 * 1000,
        });
      } catch (e) {
        if (alive(pid)) process.kill(pid, "SIGKILL");
        throw e;
      } finally {
        this.pids.delete(name);
      }
    }
  }
}

function idsOf(user: string): [number, number] {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`no user ${user}`);
  const f = line.split(":");
  return [Number(f[2]), Number(f[3])];
}

function slurmConf(d: string, socket: string, ctldPort: number, dPort: number): string {
  return `ClusterName=ttttest
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
SlurmctldPort=${ctldPort}
SlurmdPort=${dPort}
AuthType=auth/munge
AuthInfo=socket=${socket}
CredType=cred/munge
StateSaveLocation=${d}/state
SlurmdSpoolDir=${d}/spool
SlurmctldPidFile=${d}/slurmctld.pid
SlurmdPidFile=${d}/slurmd.pid
SlurmctldLogFile=${d}/slurmctld.log
SlurmdLogFile=${d}/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
JobRequeue=1
KillWait=5
SchedulerParameters=sched_interval=1,batch_sched_delay=0
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
`;
}
