// Forward outputs -> one candidate grid per test input. The shape comes from the task's rule (or, for
// the "learned" rule, the most likely height and width); with crop offsets, the most likely window
// (place, and size when learned) inside the test example's region. Each cell takes its most likely colour.
// Score = -10 x the mean over the cells of (logsumexp - max) of the colour logits, i.e. minus ten
// times the mean per-cell negative log-probability of the chosen colour (a per-cell average, so grids
// of different sizes compare), plus log P(height) + log P(width) when the shape is learned (log P of the windows with crop offsets).
import { chooseCell, SCORE_SCALE } from "../cell-choice.ts";
import type { Candidate } from "../task-model.ts";
import { bestWindow, regionOf } from "./crop.ts";
import type { TaskLayout } from "./layout.ts";

function argmax(a: ArrayLike<number>, from: number, len: number): number {
  let best = 0;
  for (let i = 1; i < len; i++) if (a[from + i]! > a[from + best]!) best = i;
  return best;
}

export function decodeCandidates(lay: TaskLayout, outputs: Record<string, ArrayLike<number>>): Candidate[] {
  const { X, Y } = lay.sizes;
  const K = lay.colours.length;
  const logits = outputs.test_logits;
  if (!logits || logits.length !== lay.nTest * K * X * Y)
    throw new Error(`multitensor decode: test_logits must have ${lay.nTest * K * X * Y} values`);
  const out: Candidate[] = [];
  for (let t = 0; t < lay.nTest; t++) {
    let [h, w] = lay.shapes[lay.nTrain + t]!.output;
    let sizeScore = 0;
    let ox = 0;
    let oy = 0;
    if (lay.offsets) {
      // crop offsets (crop.ts): the most likely window inside the test example's region
      const rows = outputs.test_rows;
      const cols = outputs.test_cols;
      if (!rows || !cols) throw new Error("multitensor decode: crop offsets need test_rows and test_cols");
      const [H, W] = regionOf(lay.shapes[lay.nTrain + t]!);
      const learned = lay.rule === "learned";
      const wx = bestWindow(rows, t * X, H, learned ? null : h);
      const wy = bestWindow(cols, t * Y, W, learned ? null : w);
      [ox, oy, h, w] = [wx.offset, wy.offset, wx.length, wy.length];
      sizeScore = wx.logp + wy.logp;
    } else if (lay.rule === "learned") {
      const hl = outputs.test_height_logp;
      const wl = outputs.test_width_logp;
      if (!hl || !wl)
        throw new Error(
          "multitensor decode: the learned shape rule needs test_height_logp and test_width_logp",
        );
      const hi = argmax(hl, t * X, X);
      const wi = argmax(wl, t * Y, Y);
      h = hi + 1;
      w = wi + 1;
      sizeScore = hl[t * X + hi]! + wl[t * Y + wi]!;
    }
    const cells = new Uint8Array(h * w);
    let uncertainty = 0;
    const plane = X * Y;
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        const cell = chooseCell(logits, t * K * plane + (ox + r) * Y + (oy + c), plane, K);
        uncertainty += cell.uncertainty;
        cells[r * w + c] = lay.colours[cell.best]!;
      }
    }
    out.push({
      grid: { height: h, width: w, cells },
      score: -SCORE_SCALE * (uncertainty / (h * w)) + sizeScore,
    });
  }
  return out;
}
