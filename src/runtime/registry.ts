// Every ONNX Runtime session opened by ttt is registered here, so tests (test/preload/sessions.ts)
// and the CLI can release them all, and with them any GPU memory their providers hold.
import type { InferenceSession } from "onnxruntime-node";

export interface RegisteredSession {
  session: InferenceSession;
  label: string;
  provider: string;
  openedAt: number;
}

const open = new Set<RegisteredSession>();

export function registerSession(
  session: InferenceSession,
  label: string,
  provider: string,
): RegisteredSession {
  const entry = { session, label, provider, openedAt: Date.now() };
  open.add(entry);
  return entry;
}

/** Release one session (idempotent). */
export async function releaseSession(entry: RegisteredSession): Promise<void> {
  if (!open.delete(entry)) return;
  await entry.session.release();
}

/** Sessions currently open. */
export function openSessions(): readonly RegisteredSession[] {
  return [...open];
}

/** Release every open session; returns how many were released and on which providers. */
export async function releaseAllSessions(): Promise<{ released: number; providers: string[] }> {
  const entries = [...open];
  open.clear();
  const providers = new Set<string>();
  for (const e of entries) {
    providers.add(e.provider);
    try {
      await e.session.release();
    } catch {
      // a session whose native side is already gone has nothing left to free
    }
  }
  return { released: entries.length, providers: [...providers] };
}
