export { adamStep, type AdamResult, type ParamSlot } from "./adam.ts";
export { clipByGlobalNorm, globalNorm, CLIP_EPS } from "./clip.ts";
export {
  defaults,
  resolveSettings,
  type OptimConfig,
  type OptimKind,
  type ParamGroup,
  type ParamSettings,
} from "./config.ts";
export { scheduleFactor, scheduleFactorOps, type Schedule } from "./schedule.ts";
