export {
  createSession,
  tensor,
  type Feeds,
  type OptLevel,
  type Session,
  type SessionConfig,
} from "./session.ts";
export {
  announce,
  cudaLibraryCheck,
  ortLibDir,
  resetProviderState,
  CUDA_LIBRARIES,
  type EpChoice,
  type Provider,
  type ProviderDecision,
} from "./providers.ts";
export {
  openSessions,
  registerSession,
  releaseAllSessions,
  releaseSession,
  type RegisteredSession,
} from "./registry.ts";
