// Test support: a small protobuf decoder for the parts of ONNX's ModelProto that src/graph/serialize.ts
// writes, so a round trip can be checked without a protobuf library or Python.

type Field = bigint | Uint8Array;

/** Decode one message into field number -> values (varints as bigint, length-delimited and fixed as bytes). */
export function decodeMessage(buf: Uint8Array): Map<number, Field[]> {
  const out = new Map<number, Field[]>();
  let pos = 0;
  const varint = (): bigint => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const b = buf[pos++]!;
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    let val: Field;
    if (wire === 0) val = varint();
    else if (wire === 2) {
      const len = Number(varint());
      val = buf.subarray(pos, pos + len);
      pos += len;
    } else if (wire === 5) {
      val = buf.subarray(pos, pos + 4);
      pos += 4;
    } else if (wire === 1) {
      val = buf.subarray(pos, pos + 8);
      pos += 8;
    } else throw new Error(`unsupported wire type ${wire} for field ${field}`);
    const list = out.get(field);
    if (list) list.push(val);
    else out.set(field, [val]);
  }
  return out;
}

const text = (b: Field | undefined) => (b instanceof Uint8Array ? new TextDecoder().decode(b) : "");
const num = (b: Field | undefined) => (typeof b === "bigint" ? Number(BigInt.asIntN(64, b)) : 0);
const strings = (m: Map<number, Field[]>, f: number) => (m.get(f) ?? []).map(text);
const msgs = (m: Map<number, Field[]>, f: number) =>
  (m.get(f) ?? []).map((b) => decodeMessage(b as Uint8Array));
/** A repeated int64 field, packed (one length-delimited run of varints) or not. */
function packedInts(m: Map<number, Field[]>, f: number): number[] {
  const out: number[] = [];
  for (const v of m.get(f) ?? []) {
    if (typeof v === "bigint") {
      out.push(num(v));
      continue;
    }
    for (let pos = 0; pos < v.length; ) {
      let x = 0n;
      for (let s = 0n; ; s += 7n) {
        const b = v[pos++]!;
        x |= BigInt(b & 0x7f) << s;
        if (b < 0x80) break;
      }
      out.push(Number(BigInt.asIntN(64, x)));
    }
  }
  return out;
}
const f32 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, 4).getFloat32(0, true);

export interface ValueInfo {
  name: string;
  elemType: number;
  dims: number[];
}
export type AttrRead = {
  type: number;
  i?: number;
  f?: number;
  s?: string;
  ints?: number[];
  floats?: number[];
  g?: GraphRead;
};
export interface NodeRead {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrRead>;
}
export interface GraphRead {
  name: string;
  nodes: NodeRead[];
  initializers: { name: string; dims: number[]; dataType: number; raw: Uint8Array }[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  valueInfo: ValueInfo[];
}
export interface ModelRead {
  irVersion: number;
  producer: string;
  opsets: { domain: string; version: number }[];
  graph: GraphRead;
}

function valueInfo(m: Map<number, Field[]>): ValueInfo {
  const type = msgs(m, 2)[0];
  const tensor = type ? msgs(type, 1)[0] : undefined;
  const shape = tensor ? msgs(tensor, 2)[0] : undefined;
  return {
    name: text(m.get(1)?.[0]),
    elemType: tensor ? num(tensor.get(1)?.[0]) : 0,
    dims: shape ? msgs(shape, 1).map((d) => num(d.get(1)?.[0])) : [],
  };
}

function attribute(m: Map<number, Field[]>): [string, AttrRead] {
  const a: AttrRead = { type: num(m.get(20)?.[0]) };
  if (m.has(2)) a.f = f32(m.get(2)![0] as Uint8Array);
  if (m.has(3)) a.i = num(m.get(3)![0]);
  if (m.has(4)) a.s = text(m.get(4)![0]);
  if (m.has(6)) a.g = graph(msgs(m, 6)[0]!);
  if (m.has(7)) {
    const b = m.get(7)![0] as Uint8Array;
    a.floats = Array.from({ length: b.length / 4 }, (_, i) => f32(b.subarray(4 * i)));
  }
  if (m.has(8)) a.ints = packedInts(m, 8);
  return [text(m.get(1)?.[0]), a];
}

function graph(m: Map<number, Field[]>): GraphRead {
  return {
    name: text(m.get(2)?.[0]),
    nodes: msgs(m, 1).map((n) => ({
      inputs: strings(n, 1),
      outputs: strings(n, 2),
      name: text(n.get(3)?.[0]),
      opType: text(n.get(4)?.[0]),
      attrs: Object.fromEntries(msgs(n, 5).map(attribute)),
    })),
    initializers: msgs(m, 5).map((t) => ({
      dims: packedInts(t, 1),
      dataType: num(t.get(2)?.[0]),
      name: text(t.get(8)?.[0]),
      raw: (t.get(9)?.[0] as Uint8Array) ?? new Uint8Array(),
    })),
    inputs: msgs(m, 11).map(valueInfo),
    outputs: msgs(m, 12).map(valueInfo),
    valueInfo: msgs(m, 13).map(valueInfo),
  };
}

export function readModel(bytes: Uint8Array): ModelRead {
  const m = decodeMessage(bytes);
  return {
    irVersion: num(m.get(1)?.[0]),
    producer: text(m.get(2)?.[0]),
    opsets: msgs(m, 8).map((o) => ({ domain: text(o.get(1)?.[0]), version: num(o.get(2)?.[0]) })),
    graph: graph(msgs(m, 7)[0]!),
  };
}
