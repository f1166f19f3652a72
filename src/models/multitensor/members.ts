// The members of a multitensor: one tensor per chosen subset of the axes (example E, colour C,
// direction D, x = row, y = column). Every member is stored in one rank-7 layout
//   [copy, channel, D, E, C, X, Y]
// with size 1 on the axes it lacks, so sharing between members is plain broadcasting and reduction.
// The copy axis carries R independent models (their own weights, latents and noise) through the same
// nodes: no layer mixes copies, so each trains exactly as it would alone.
import type { MemberPreset } from "./config.ts";

/** Axis positions in the common layout. */
export const AX = { r: 0, ch: 1, d: 2, e: 3, c: 4, x: 5, y: 6 } as const;
export const DIRECTIONS = 8;

export interface Member {
  /** Letters of its axes in the order E, C, D, X, Y (e.g. "ECXY"). */
  readonly name: string;
  readonly e: boolean;
  readonly c: boolean;
  readonly d: boolean;
  readonly x: boolean;
  readonly y: boolean;
}

export interface Sizes {
  /** Examples (train pairs, then test inputs). */
  E: number;
  /** Colours other than black. */
  C: number;
  /** Canvas rows and columns. */
  X: number;
  Y: number;
}

const LETTERS = ["E", "C", "D", "X", "Y"] as const;

export function memberFromName(name: string): Member {
  const has = (l: string) => name.includes(l);
  const m: Member = {
    name: LETTERS.filter(has).join(""),
    e: has("E"),
    c: has("C"),
    d: has("D"),
    x: has("X"),
    y: has("Y"),
  };
  if (m.name.length !== name.length || /[^ECDXY]/.test(name))
    throw new RangeError(`member "${name}": use the letters E, C, D, X, Y once each, in any order`);
  if (!isLegal(m))
    throw new RangeError(
      `member "${name}" is not legal: x or y needs E, and at least one of C, D, X, Y is needed`,
    );
  return m;
}

/** x or y needs the example axis; a member needs at least one axis besides E. */
export function isLegal(m: Omit<Member, "name">): boolean {
  if ((m.x || m.y) && !m.e) return false;
  return m.c || m.d || m.x || m.y;
}

/** Every legal member (18), smallest first. */
export function allMembers(): Member[] {
  const out: Member[] = [];
  for (let bits = 1; bits < 32; bits++) {
    const name = LETTERS.filter((_, i) => bits & (1 << i)).join("");
    const m = { e: !!(bits & 1), c: !!(bits & 2), d: !!(bits & 4), x: !!(bits & 8), y: !!(bits & 16) };
    if (isLegal(m)) out.push({ name, ...m });
  }
  return out.sort((a, b) => a.name.length - b.name.length || a.name.localeCompare(b.name));
}

/** The members of a preset or explicit list; ECXY (the colour head) is always required. */
export function resolveMembers(spec: MemberPreset | string[]): Member[] {
  let list: Member[];
  if (spec === "full") list = allMembers();
  else if (spec === "lite") list = allMembers().filter((m) => !(m.c && m.d));
  else list = [...new Map(spec.map((n) => memberFromName(n)).map((m) => [m.name, m])).values()];
  if (!list.some((m) => m.name === "ECXY"))
    throw new RangeError("the multitensor needs the ECXY member (the colour head reads it)");
  return list.sort((a, b) => a.name.length - b.name.length || a.name.localeCompare(b.name));
}

/** Its shape in the common layout with `ch` channels, for one copy (without the copy axis). */
export function shapeOf(m: Member, s: Sizes, ch: number): number[] {
  return [ch, m.d ? DIRECTIONS : 1, m.e ? s.E : 1, m.c ? s.C : 1, m.x ? s.X : 1, m.y ? s.Y : 1];
}

/** Number of cells (elements per channel). */
export function cellsOf(m: Member, s: Sizes): number {
  return shapeOf(m, s, 1).reduce((a, b) => a * b, 1);
}

/** The member with x and y exchanged (itself when it has both or neither). */
export function transposed(m: Member): string {
  if (m.x === m.y) return m.name;
  return memberFromName(m.name.replace(m.x ? "X" : "Y", m.x ? "Y" : "X")).name;
}

/**
 * The member whose weights this one uses: a y-only member shares the weights of its x-only partner
 * (the model is then equivariant to exchanging x and y).
 */
export function weightOwner(m: Member): string {
  return m.y && !m.x ? transposed(m) : m.name;
}

/** a is a subset of b (every axis of a is in b). */
export function isSubset(a: Member, b: Member): boolean {
  return (!a.e || b.e) && (!a.c || b.c) && (!a.d || b.d) && (!a.x || b.x) && (!a.y || b.y);
}

/** The layout axes a member has besides channel and example (the axes a softmax may run over). */
export function nonExampleAxes(m: Member): number[] {
  const axes: number[] = [];
  if (m.d) axes.push(AX.d);
  if (m.c) axes.push(AX.c);
  if (m.x) axes.push(AX.x);
  if (m.y) axes.push(AX.y);
  return axes;
}
