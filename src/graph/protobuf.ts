// A minimal protobuf writer: varints, length-delimited fields, packed repeated scalars. Enough to encode
// ONNX's ModelProto without a protobuf library (see FACTS.md on onnx-proto inside a compiled binary).

const encoder = new TextEncoder();

export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private buf = new Uint8Array(256);
  private pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = new Uint8Array(Math.max(n, this.buf.length * 2));
  }
  private flush(): void {
    if (this.pos > 0) this.chunks.push(this.buf.slice(0, this.pos));
    this.pos = 0;
  }
  private varint(v: bigint | number): void {
    let x = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (x >= 0x80n) {
      this.buf[this.pos++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.pos++] = Number(x);
  }
  private smallVarint(v: number): void {
    if (v < 0 || v > 0x7fffffff) {
      this.varint(v);
      return;
    }
    this.ensure(5);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
  }
  private tag(field: number, wire: number): void {
    this.smallVarint((field << 3) | wire);
  }
  private raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    if (bytes.length > this.buf.length) {
      this.flush();
      this.chunks.push(bytes.slice());
      return;
    }
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  int(field: number, v: number | bigint): this {
    this.tag(field, 0);
    if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0x7fffffff) this.smallVarint(v);
    else this.varint(v);
    return this;
  }
  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.raw(b);
    return this;
  }
  bytes(field: number, v: Uint8Array): this {
    this.tag(field, 2);
    this.smallVarint(v.length);
    this.raw(v);
    return this;
  }
  string(field: number, v: string): this {
    return this.bytes(field, encoder.encode(v));
  }
  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }
  packedInts(field: number, values: readonly (number | bigint)[]): this {
    if (values.length === 0) return this;
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(v);
    return this.bytes(field, inner.finish());
  }
  packedFloats(field: number, values: readonly number[]): this {
    if (values.length === 0) return this;
    const b = new Uint8Array(values.length * 4);
    const dv = new DataView(b.buffer);
    for (const [i, v] of values.entries()) dv.setFloat32(i * 4, v, true);
    return this.bytes(field, b);
  }

  finish(): Uint8Array {
    this.flush();
    if (this.chunks.length === 1) return this.chunks[0]!;
    const total = this.chunks.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}
