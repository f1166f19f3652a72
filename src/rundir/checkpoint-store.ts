// One task's checkpoints: `<run-dir>/checkpoints/<task>/v000001/ ...`, one folder per version with its
// files and a manifest.json (task, step, loss, time, try, config hash, seed, versions, and each file's
// sha256 and size, plus a checksum of the manifest itself; its format is in formats/). A version is
// written into a temporary folder (every file fsynced), then renamed into place, so it exists whole or not at all; the newest versions
// and the final ones are kept. Loading checks every byte and falls back to the previous good version.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { syncFolder, writeSynced } from "../util/atomic-write.ts";
import { canonicalJson, sha256 } from "../util/hash.ts";
import {
  CHECKPOINT_FORMAT,
  type CheckpointManifest,
  type CheckpointMeta,
  checkManifest,
  MANIFEST_FILE as MANIFEST,
  parseFileJson,
} from "./formats/index.ts";

export type { CheckpointManifest, CheckpointMeta, ManifestFile } from "./formats/index.ts";

export const versionName = (v: number) => `v${String(v).padStart(6, "0")}`;
const manifestChecksum = (m: object) => sha256(canonicalJson(m));

/** A version read and checked: its manifest and files, or what is wrong with it (file by file). */
export interface VersionCheck {
  version: number;
  manifest?: CheckpointManifest;
  files: Record<string, Uint8Array>;
  problems: string[];
}

export class CheckpointStore {
  /** `label`: how messages name the folder (e.g. checkpoints/swap-colours). */
  constructor(
    readonly dir: string,
    readonly label = dir,
  ) {}

  /** Version numbers present, oldest first. */
  versions(): number[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .map((f) => /^v(\d+)$/.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }

  private where(v: number, file?: string): string {
    return `${this.label}/${versionName(v)}${file ? `/${file}` : ""}`;
  }

  /** The manifest of version v, its own checksum checked (not its files); throws a message naming the file. */
  readManifest(v: number): CheckpointManifest {
    const file = this.where(v, MANIFEST);
    let text: string;
    try {
      text = readFileSync(join(this.dir, versionName(v), MANIFEST), "utf8");
    } catch (e) {
      throw new Error(`${file}: missing (${(e as NodeJS.ErrnoException).code ?? "unreadable"})`);
    }
    const raw = parseFileJson(text, file);
    // The checksum covers the manifest as it was written (format 1's keys included), so it comes first.
    const { checksum, ...rest } = (raw ?? {}) as { checksum?: unknown };
    if (typeof checksum !== "string" || manifestChecksum(rest) !== checksum)
      throw new Error(`${file}: checksum mismatch (damaged)`);
    const m = checkManifest(raw, file);
    if (m.version !== v)
      throw new Error(`${file}: says version ${m.version}, its folder is ${versionName(v)}`);
    return m;
  }

  /** Read version v and check every file against the manifest (size and sha256). */
  check(v: number): VersionCheck {
    const out: VersionCheck = { version: v, files: {}, problems: [] };
    try {
      out.manifest = this.readManifest(v);
    } catch (e) {
      out.problems.push((e as Error).message);
      return out;
    }
    for (const f of out.manifest.files) {
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(join(this.dir, versionName(v), f.name));
      } catch (e) {
        out.problems.push(
          `${this.where(v, f.name)}: missing (${(e as NodeJS.ErrnoException).code ?? "unreadable"})`,
        );
        continue;
      }
      if (bytes.length !== f.size)
        out.problems.push(
          `${this.where(v, f.name)}: ${bytes.length} bytes, the manifest says ${f.size} (truncated or damaged)`,
        );
      else if (sha256(bytes) !== f.sha256)
        out.problems.push(`${this.where(v, f.name)}: sha256 mismatch (damaged)`);
      else out.files[f.name] = bytes;
    }
    return out;
  }

  /**
   * The newest version that is whole and that `accept` takes (else it is passed over), with the problems
   * of every newer one; `use` may refuse a version by throwing (its message is kept as a problem).
   */
  loadNewest<T>(
    accept: (m: CheckpointManifest) => string | undefined,
    use: (c: VersionCheck & { manifest: CheckpointManifest }) => T,
  ): { found?: { value: T; manifest: CheckpointManifest }; problems: string[]; skipped: string[] } {
    const problems: string[] = [];
    const skipped: string[] = [];
    for (const v of this.versions().reverse()) {
      const c = this.check(v);
      if (c.problems.length > 0 || !c.manifest) {
        problems.push(...c.problems);
        continue;
      }
      const why = accept(c.manifest);
      if (why) {
        skipped.push(`${this.where(v)}: ${why}`);
        continue;
      }
      try {
        return {
          found: { value: use(c as VersionCheck & { manifest: CheckpointManifest }), manifest: c.manifest },
          problems,
          skipped,
        };
      } catch (e) {
        problems.push(`${this.where(v)}: ${(e as Error).message}`);
      }
    }
    return { problems, skipped };
  }

  /** Write a new version atomically; returns its manifest. */
  write(meta: CheckpointMeta, files: Record<string, Uint8Array>): CheckpointManifest {
    mkdirSync(this.dir, { recursive: true });
    for (let round = 0; ; round++) {
      const version = (this.versions().at(-1) ?? 0) + 1;
      const body: Omit<CheckpointManifest, "checksum"> = {
        format: CHECKPOINT_FORMAT,
        version,
        createdAt: new Date().toISOString(),
        ...meta,
        files: Object.entries(files).map(([name, bytes]) => ({
          name,
          sha256: sha256(bytes),
          size: bytes.length,
        })),
      };
      const manifest: CheckpointManifest = { ...body, checksum: manifestChecksum(body) };
      const temp = join(this.dir, `.${versionName(version)}.tmp-${process.pid}-${Date.now().toString(36)}`);
      mkdirSync(temp);
      try {
        // an injected write fault (a full disk) strikes inside the first file
        let kind: "checkpoint" | undefined = "checkpoint";
        for (const [name, bytes] of Object.entries(files)) {
          writeSynced(join(temp, name), bytes, kind);
          kind = undefined;
        }
        writeSynced(join(temp, MANIFEST), new TextEncoder().encode(`${JSON.stringify(manifest, null, 1)}\n`));
        syncFolder(temp);
        renameSync(temp, join(this.dir, versionName(version)));
      } catch (e) {
        rmSync(temp, { recursive: true, force: true });
        const code = (e as NodeJS.ErrnoException).code;
        // Another writer took this number in the meantime: take the next one.
        if ((code === "ENOTEMPTY" || code === "EEXIST") && round < 5) continue;
        throw e;
      }
      syncFolder(this.dir);
      return manifest;
    }
  }

  /** Keep the newest `keep` versions and every final one; returns the versions removed. */
  prune(keep: number, keepFinal = true): number[] {
    const all = this.versions();
    const newest = new Set(all.slice(Math.max(0, all.length - keep)));
    const removed: number[] = [];
    for (const v of all) {
      if (newest.has(v)) continue;
      if (keepFinal && this.isFinal(v)) continue;
      this.remove(v);
      removed.push(v);
    }
    return removed;
  }

  private isFinal(v: number): boolean {
    try {
      return this.readManifest(v).final;
    } catch {
      return false;
    }
  }

  /** Remove a version: renamed aside first, so a half-removed one is never mistaken for a version. */
  remove(v: number): void {
    const aside = join(this.dir, `.${versionName(v)}.del-${process.pid}-${Date.now().toString(36)}`);
    renameSync(join(this.dir, versionName(v)), aside);
    rmSync(aside, { recursive: true, force: true });
  }

  /** Leftovers of interrupted writes and removals (hidden temporary folders); removed when `remove`. */
  debris(remove = false): string[] {
    if (!existsSync(this.dir)) return [];
    const found = readdirSync(this.dir).filter((f) => /^\.v\d+\.(tmp|del)-/.test(f));
    if (remove) for (const f of found) rmSync(join(this.dir, f), { recursive: true, force: true });
    return found.map((f) => `${this.label}/${f}`);
  }
}
