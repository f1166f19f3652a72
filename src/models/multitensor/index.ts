// The multitensor model family (a per-task decoder learned from CompressARC's design): re-exports only.
export { DEFAULT_CONFIG, resolveConfig, type MemberPreset, type MultitensorConfig } from "./config.ts";
export {
  bestWindow,
  cropExamples,
  cropReconstruction,
  regionOf,
  windowLogProbs,
  windowNll,
  type CropExample,
} from "./crop.ts";
export { decodeCandidates } from "./decode.ts";
export {
  chooseOutputFrame,
  frameAgreement,
  fromFrame,
  toFrame,
  FRAME_MARGIN,
  FRAME_MINIMUM,
} from "./frame.ts";
export {
  D8,
  FLIP_X,
  FLIP_Y,
  KLEIN,
  ROTATE,
  TRANSPOSE,
  VECTORS,
  mixingClasses,
  mixingStrength,
} from "./directions.ts";
export { buildForward, type ForwardArgs, type ForwardBatch, type ForwardParts } from "./forward.ts";
export { latentLayout, NOISE, type LatentSegment } from "./latent.ts";
export {
  layoutArrays,
  layoutTask,
  shapeRule,
  type LayoutArrays,
  type ShapeRule,
  type TaskLayout,
} from "./layout.ts";
export {
  AX,
  allMembers,
  memberFromName,
  resolveMembers,
  shapeOf,
  transposed,
  weightOwner,
  type Member,
  type Sizes,
} from "./members.ts";
export {
  buildMultitensor,
  FAMILY,
  MODEL_VERSION,
  multitensorFamily,
  multitensorFamily as family,
  priorKeyOf,
  OUTPUT,
  WEIGHTS,
  type MultitensorModel,
  type MultitensorOptions,
} from "./model.ts";
