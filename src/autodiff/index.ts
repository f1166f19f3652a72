export { gradients, type GradientOptions } from "./driver.ts";
export {
  defineGrad,
  defineNoGrad,
  gradRule,
  registeredOps,
  type GradContext,
  type GradRule,
} from "./registry.ts";
export { reduceToShape } from "./reduce-to.ts";
export { customGradient, type CustomRule } from "./custom.ts";
