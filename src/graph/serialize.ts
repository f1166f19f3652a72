// Graph -> ONNX ModelProto bytes (IR 8, opset 17 by default). Field numbers follow onnx.proto3.
import { ONNX_DTYPE } from "./dtype.ts";
import type { AttrValue, ConstantData, Graph, Node, Tensor } from "./graph.ts";
import { ProtoWriter } from "./protobuf.ts";
import { liveNodes } from "./prune.ts";

export interface ModelOptions {
  irVersion?: number;
  opset?: number;
  producer?: string;
  docString?: string;
}

export const DEFAULT_IR_VERSION = 8;
export const DEFAULT_OPSET = 17;

const ATTR_TYPE = { float: 1, int: 2, string: 3, tensor: 4, graph: 5, floats: 6, ints: 7 } as const;

function tensorProto(w: ProtoWriter, c: ConstantData): void {
  w.packedInts(1, c.shape); // dims
  w.int(2, ONNX_DTYPE[c.dtype]); // data_type
  w.string(8, c.name); // name
  const d = c.data;
  w.bytes(9, new Uint8Array(d.buffer, d.byteOffset, d.byteLength)); // raw_data (little-endian)
}

function valueInfo(w: ProtoWriter, t: Tensor): void {
  w.string(1, t.name);
  w.message(2, (type) =>
    type.message(1, (tt) => {
      tt.int(1, ONNX_DTYPE[t.dtype]);
      tt.message(2, (shape) => {
        for (const d of t.shape) shape.message(1, (dim) => dim.int(1, d));
      });
    }),
  );
}

function attribute(w: ProtoWriter, name: string, a: AttrValue): void {
  w.string(1, name);
  switch (a.kind) {
    case "float":
      w.float(2, a.value);
      break;
    case "int":
      w.int(3, BigInt(a.value));
      break;
    case "string":
      w.string(4, a.value);
      break;
    case "tensor":
      w.message(5, (t) => tensorProto(t, a.value));
      break;
    case "graph":
      w.message(6, (g) => graphProto(g, a.value));
      break;
    case "floats":
      w.packedFloats(7, a.value);
      break;
    case "ints":
      w.packedInts(
        8,
        a.value.map((v) => BigInt(v)),
      );
      break;
  }
  w.int(20, ATTR_TYPE[a.kind]);
}

function nodeProto(w: ProtoWriter, n: Node): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name);
  w.string(4, n.opType);
  for (const [k, v] of Object.entries(n.attrs)) w.message(5, (a) => attribute(a, k, v));
  if (n.domain) w.string(7, n.domain);
}

export function graphProto(w: ProtoWriter, g: Graph): void {
  const nodes = liveNodes(g);
  for (const n of nodes) w.message(1, (nw) => nodeProto(nw, n));
  w.string(2, g.name);
  for (const c of g.initializers) w.message(5, (t) => tensorProto(t, c));
  for (const t of g.inputs) w.message(11, (v) => valueInfo(v, t));
  for (const t of g.outputs) w.message(12, (v) => valueInfo(v, t));
  // value_info for intermediates, so tools (and readers in Netron) see every static shape
  const io = new Set([...g.inputs, ...g.outputs].map((t) => t.name));
  const inits = new Set(g.initializers.map((c) => c.name));
  const produced = new Set(nodes.flatMap((n) => n.outputs));
  for (const [name, t] of g.values)
    if (!io.has(name) && !inits.has(name) && produced.has(name)) w.message(13, (v) => valueInfo(v, t));
}

/** Serialise a graph as ONNX ModelProto bytes. */
export function toModelBytes(g: Graph, opts: ModelOptions = {}): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, opts.irVersion ?? DEFAULT_IR_VERSION); // ir_version
  w.string(2, opts.producer ?? "ttt"); // producer_name
  w.string(3, "0.1.0"); // producer_version
  if (opts.docString) w.string(6, opts.docString);
  w.message(7, (gw) => graphProto(gw, g)); // graph
  w.message(8, (o) => {
    o.string(1, "");
    o.int(2, opts.opset ?? DEFAULT_OPSET);
  }); // opset_import
  return w.finish();
}
