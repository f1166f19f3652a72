// A Trainer owns a model's state as typed arrays (parameters, Adam moments, step) and the sessions
// that advance it: the one-step graph for step(1), a K-step Loop graph for step(K), the inference
// graph for infer(). State crosses into ORT once per run (the Node API has no IO binding).
import type * as ort from "onnxruntime-node";
import type { OptimConfig } from "../optim/config.ts";
import { type Placement, measurePlacement } from "../runtime/placement.ts";
import { type EpChoice, plannedProvider } from "../runtime/providers.ts";
import { type Session, type SessionConfig, createSession, tensor } from "../runtime/session.ts";
import { type GraphKind, type GraphRequest, io } from "./build.ts";
import { type CacheOptions, getGraph, optimizedPath, readIfPresent } from "./cache.ts";
import { type ProbeResult, probeProviders } from "./provider-probe.ts";
import { copySeed, fillNoise } from "./rng.ts";
import { type BatchSpec, type ModelSpec, specDType } from "./spec.ts";

export type FloatArray = Float32Array | Float64Array;
export type BatchArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

export interface TrainerState {
  /** Optimizer steps taken so far. */
  step: number;
  params: Record<string, FloatArray>;
  m: Record<string, FloatArray>;
  v: Record<string, FloatArray>;
}

export interface TrainerOptions extends CacheOptions {
  optim: OptimConfig;
  /** Seed of the per-step noise (default 0); copy r of a noise input with copies draws from copySeed(seed, r). */
  seed?: number;
  session?: SessionConfig;
  /**
   * Save ORT's optimised model next to the cached graph and load it (optimisation disabled) next
   * time. Saves session set-up on repeats, costs a little on the first build; default false.
   */
  reuseOptimized?: boolean;
}

export interface StepOptions {
  /** Run K steps as K one-step runs instead of one Loop run (same results; for tests and timing). K = 1 always does. */
  oneStep?: boolean;
}

const elems = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export class Trainer {
  private state: TrainerState;
  private copySeeds: number[] | undefined;
  private readonly sessions = new Map<string, Promise<Session>>();
  private readonly batchData = new Map<string, BatchArray>();
  /** For ep "auto" with WebGPU in play: the probe deciding between WebGPU and the CPU (its winning session). */
  private probe: Promise<Session> | null = null;
  /** What the probe measured and chose (null: no probe ran). */
  probed: ProbeResult | null = null;
  /** Counters of runs and steps (for reports). */
  readonly stats = { runs: 0, steps: 0, sessions: 0, graphHits: 0 };

  private constructor(
    readonly spec: ModelSpec,
    readonly options: TrainerOptions,
  ) {
    this.state = Trainer.initialState(spec);
  }

  /** A trainer at step 0 with the spec's initial parameters and zero moments. */
  static async create(spec: ModelSpec, options: TrainerOptions): Promise<Trainer> {
    return new Trainer(spec, options);
  }

  static initialState(spec: ModelSpec): TrainerState {
    const zeros = (n: number): FloatArray =>
      specDType(spec) === "float64" ? new Float64Array(n) : new Float32Array(n);
    const s: TrainerState = { step: 0, params: {}, m: {}, v: {} };
    for (const p of spec.params) {
      s.params[p.name] = p.init.slice();
      s.m[p.name] = zeros(p.init.length);
      s.v[p.name] = zeros(p.init.length);
    }
    return s;
  }

  /** The seeds of the copies' noise (a restart with fresh copies sets new ones). */
  setCopySeeds(seeds: readonly number[]): void {
    this.copySeeds = [...seeds];
  }

  private seedOfCopy(r: number): number {
    return this.copySeeds?.[r] ?? copySeed(this.options.seed ?? 0, r);
  }

  get steps(): number {
    return this.state.step;
  }

  /** Set batch inputs by name (fixed ones once; per-step ones are used by the next step() call). */
  setBatch(batch: Record<string, BatchArray>): void {
    for (const [k, v] of Object.entries(batch)) this.batchData.set(k, v);
  }

  /** A copy of the state (for checkpoints). */
  getState(): TrainerState {
    const copy = (r: Record<string, FloatArray>) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.slice()]));
    return {
      step: this.state.step,
      params: copy(this.state.params),
      m: copy(this.state.m),
      v: copy(this.state.v),
    };
  }

  /** Replace the state (checked against the spec's shapes). */
  setState(s: TrainerState): void {
    for (const p of this.spec.params) {
      const n = elems(p.shape);
      for (const [what, r] of [
        ["params", s.params],
        ["m", s.m],
        ["v", s.v],
      ] as const) {
        const a = r[p.name];
        if (!a || a.length !== n)
          throw new Error(`setState: ${what}.${p.name} must have ${n} values, got ${a?.length ?? "none"}`);
      }
    }
    const copy = (r: Record<string, FloatArray>) =>
      Object.fromEntries(this.spec.params.map((p) => [p.name, r[p.name]!.slice()]));
    this.state = { step: s.step, params: copy(s.params), m: copy(s.m), v: copy(s.v) };
  }

  private session(kind: GraphKind, steps = 1): Promise<Session> {
    const id = `${kind}:${steps}`;
    let s = this.sessions.get(id);
    if (!s) {
      const label = `${this.spec.key}:${id}`;
      if (!this.probe && this.configuredEp() === "auto" && plannedProvider("auto") === "webgpu") {
        // auto with WebGPU in play: the first graph opened is measured on both providers (provider-probe.ts)
        this.probe = probeProviders(
          (ep) => this.openSession(this.request(kind, steps, ep), label, ep),
          () => this.feedsFor(kind, steps),
          id,
        ).then(({ result, session }) => {
          this.probed = result;
          return session;
        });
        s = this.probe;
      } else
        s = (this.probe ?? Promise.resolve()).then(() => this.openSession(this.request(kind, steps), label));
      this.sessions.set(id, s);
      s.catch(() => this.sessions.delete(id));
    }
    return s;
  }

  private configuredEp(): EpChoice {
    return this.options.session?.ep ?? "auto";
  }

  /** The provider sessions open on: the configured choice, or the probe's for auto. */
  private ep(): EpChoice {
    return this.probed?.provider ?? this.configuredEp();
  }

  private feedsFor(kind: GraphKind, steps: number): Record<string, ort.Tensor> {
    return kind === "infer"
      ? this.inferFeeds()
      : kind === "loop"
        ? this.loopFeeds(steps)
        : this.oneStepFeeds(0);
  }

  /** The graph request of a kind; a graph for the WebGPU provider is emitted without the nodes it has no kernel for (Graph.gpu). */
  private request(kind: GraphKind, steps: number, ep: EpChoice = this.ep()): GraphRequest {
    const gpu = plannedProvider(ep) === "webgpu";
    return {
      spec: this.spec,
      kind,
      steps,
      optim: this.options.optim,
      ...(gpu ? { target: "gpu" as const } : {}),
    };
  }

  private cacheOptions(): CacheOptions {
    return this.options.cacheDir === undefined ? {} : { cacheDir: this.options.cacheDir };
  }

  private async openSession(req: GraphRequest, label: string, ep: EpChoice = this.ep()): Promise<Session> {
    const graph = getGraph(req, this.cacheOptions());
    if (graph.hit) this.stats.graphHits++;
    this.stats.sessions++;
    const cfg: SessionConfig = { ...this.options.session, ep, label };
    if (this.options.reuseOptimized && graph.path && ep === "cpu") {
      // The optimised form is provider-specific, so it is only reused for an explicit CPU choice.
      const level = cfg.optLevel ?? "all";
      const opt = optimizedPath(graph.path, "cpu", level);
      const prior = readIfPresent(opt);
      if (prior) return createSession(prior, { ...cfg, optLevel: "disabled" });
      return createSession(graph.bytes, { ...cfg, optimizedModelFilePath: opt });
    }
    return createSession(graph.bytes, cfg);
  }

  private feedBatch(
    feeds: Record<string, ort.Tensor>,
    specs: BatchSpec[],
    K: number | null,
    given?: Record<string, BatchArray>,
  ): void {
    for (const b of specs) {
      const data = given?.[b.name] ?? this.batchData.get(b.name);
      if (!data) throw new Error(`batch input ${b.name} was not given (setBatch or step/infer argument)`);
      const dims = K === null || b.fixed ? b.shape : [K, ...b.shape];
      const n = elems(dims);
      if (data.length !== n) {
        throw new Error(
          `batch input ${b.name}: ${data.length} values, the ${K === null ? "graph" : `${K}-step run`} needs ${n} ([${dims}])`,
        );
      }
      feeds[b.name] = tensor(b.dtype, data, dims);
    }
  }

  /** Noise for steps [from, from + K), stacked when `stacked`. */
  private feedNoise(
    feeds: Record<string, ort.Tensor>,
    from: number,
    K: number,
    stacked: boolean,
    zeros = false,
  ): void {
    const dtype = specDType(this.spec);
    (this.spec.noise ?? []).forEach((nz, stream) => {
      const n = elems(nz.shape);
      const copies = nz.copies ?? 1;
      const block = n / copies;
      const data = dtype === "float64" ? new Float64Array(n * K) : new Float32Array(n * K);
      if (!zeros) {
        for (let k = 0; k < K; k++)
          for (let r = 0; r < copies; r++)
            fillNoise(
              data.subarray(k * n + r * block, k * n + (r + 1) * block),
              nz.copies === undefined ? (this.options.seed ?? 0) : this.seedOfCopy(r),
              from + k,
              stream,
              nz.dist ?? "normal",
            );
      }
      feeds[nz.name] = tensor(dtype, data, stacked ? [K, ...nz.shape] : nz.shape);
    });
  }

  private stateFeeds(): Record<string, ort.Tensor> {
    const dtype = specDType(this.spec);
    const feeds: Record<string, ort.Tensor> = {};
    for (const p of this.spec.params) {
      feeds[p.name] = tensor(dtype, this.state.params[p.name]!, p.shape);
      feeds[io.m(p.name)] = tensor(dtype, this.state.m[p.name]!, p.shape);
      feeds[io.v(p.name)] = tensor(dtype, this.state.v[p.name]!, p.shape);
    }
    feeds[io.step] = tensor("int64", BigInt64Array.of(BigInt(this.state.step)), []);
    return feeds;
  }

  /** Feeds of the one-step graph for step k of a stacked batch. */
  private oneStepFeeds(k: number, batch?: Record<string, BatchArray>): Record<string, ort.Tensor> {
    const feeds = this.stateFeeds();
    const per: Record<string, BatchArray> = {};
    for (const b of this.spec.batch) {
      const data = batch?.[b.name] ?? this.batchData.get(b.name);
      if (!data) throw new Error(`batch input ${b.name} was not given (setBatch or step argument)`);
      const n = elems(b.shape);
      per[b.name] = b.fixed || data.length === n ? data : data.subarray(k * n, (k + 1) * n);
    }
    this.feedBatch(feeds, this.spec.batch, null, per);
    this.feedNoise(feeds, this.state.step, 1, false);
    return feeds;
  }

  private loopFeeds(K: number, batch?: Record<string, BatchArray>): Record<string, ort.Tensor> {
    const feeds = this.stateFeeds();
    this.feedBatch(feeds, this.spec.batch, K, batch);
    this.feedNoise(feeds, this.state.step, K, true);
    return feeds;
  }

  private inferFeeds(
    batch?: Record<string, BatchArray>,
    opts: { noise?: "sample" | "zeros" } = {},
  ): Record<string, ort.Tensor> {
    const dtype = specDType(this.spec);
    const feeds: Record<string, ort.Tensor> = {};
    for (const p of this.spec.params) feeds[p.name] = tensor(dtype, this.state.params[p.name]!, p.shape);
    const specs = (this.spec.inferBatch ?? this.spec.batch).map((b) => ({ ...b, fixed: true }));
    this.feedBatch(feeds, specs, null, batch);
    this.feedNoise(feeds, this.state.step, 1, false, opts.noise === "zeros");
    return feeds;
  }

  private takeState(out: Record<string, ort.Tensor>): void {
    for (const p of this.spec.params) {
      this.state.params[p.name] = out[io.next(p.name)]!.data as FloatArray;
      this.state.m[p.name] = out[io.next(io.m(p.name))]!.data as FloatArray;
      this.state.v[p.name] = out[io.next(io.v(p.name))]!.data as FloatArray;
    }
    this.state.step = Number((out[io.next(io.step)]!.data as BigInt64Array)[0]);
  }

  /**
   * Run K optimizer steps and return the K losses: one run of the K-step Loop graph (K > 1), or
   * the one-step graph (K = 1, or `oneStep`: K runs). Per-step batch inputs are given (or were set)
   * as K stacked batches (K * batch values); fixed ones as one batch.
   */
  async step(K = 1, batch?: Record<string, BatchArray>, opts: StepOptions = {}): Promise<FloatArray> {
    if (!Number.isInteger(K) || K < 1) throw new Error(`step: K must be a positive integer, got ${K}`);
    const dtype = specDType(this.spec);
    const losses = dtype === "float64" ? new Float64Array(K) : new Float32Array(K);
    if (opts.oneStep || K === 1) {
      const s = await this.session("train");
      for (let k = 0; k < K; k++) {
        const out = await s.run(this.oneStepFeeds(k, batch));
        losses[k] = out[io.loss]!.data[0] as number;
        this.takeState(out);
        this.stats.runs++;
        this.stats.steps++;
      }
      return losses;
    }
    const s = await this.session("loop", K);
    const out = await s.run(this.loopFeeds(K, batch));
    losses.set(out[io.losses]!.data as FloatArray);
    this.takeState(out);
    this.stats.runs++;
    this.stats.steps += K;
    return losses;
  }

  /**
   * The forward outputs for `batch` (inference batch shapes). Noise, if the model has any, is that of
   * the current step unless `noise: "zeros"`.
   */
  async infer(
    batch?: Record<string, BatchArray>,
    opts: { noise?: "sample" | "zeros" } = {},
  ): Promise<Record<string, ort.Tensor>> {
    const s = await this.session("infer");
    return s.run(this.inferFeeds(batch, opts));
  }

  /**
   * Where ORT runs the nodes of this kind's graph on the trainer's provider: a separate session with
   * the profiler on, run once from the current state (set batch inputs); the state is not changed.
   */
  async placement(kind: GraphKind, steps = 1): Promise<Placement> {
    const feeds = this.feedsFor(kind, steps);
    const graph = getGraph(this.request(kind, steps), this.cacheOptions());
    return measurePlacement(
      graph.bytes,
      { ...this.options.session, ep: this.ep(), label: `${this.spec.key}:${kind}` },
      feeds,
    );
  }

  /** Open the sessions for these kinds now (so the first step is not slowed by set-up). */
  async prepare(kinds: { kind: GraphKind; steps?: number }[]): Promise<void> {
    await Promise.all(kinds.map((k) => this.session(k.kind, k.steps ?? 1)));
  }

  /** Provider of the sessions opened so far. */
  async providers(): Promise<string[]> {
    const all = await Promise.all(this.sessions.values());
    return [...new Set(all.map((s) => s.provider))];
  }

  async release(): Promise<void> {
    const all = await Promise.allSettled(this.sessions.values());
    this.sessions.clear();
    for (const r of all) if (r.status === "fulfilled") await r.value.release();
  }
}
