import type { Peer } from "../types.ts";

/**
 * Fields the control plane is adding (liveness, the agent's version): read
 * when present, so the CLI shows them as soon as the server sends them and
 * prints "-" until then. They are optional here, not in types.ts, which
 * mirrors what the server sends today.
 */
export type PeerWithExtras = Peer & {
  /** `unknown` once the agent has not reported within its liveness window. */
  readonly liveness?: string;
  readonly agentVersion?: string;
  readonly status?: Peer["status"] & { readonly version?: string; readonly agentVersion?: string; readonly liveness?: string };
};

/** The software version the peer runs: as its agent reports it, else `metadata.version` or the `version` label the rollout planner reads. */
export function peerVersion(p: Peer): string | undefined {
  const x = p as PeerWithExtras;
  const v = x.status?.agentVersion ?? x.status?.version ?? x.agentVersion ?? p.metadata?.["version"] ?? p.labels["version"];
  return typeof v === "string" ? v : undefined;
}

/** `unknown` when the server says the agent stopped reporting; undefined when it does not say. */
export function peerLiveness(p: Peer): string | undefined {
  const x = p as PeerWithExtras;
  return x.liveness ?? x.status?.liveness;
}

/** The phase column: the phase, or "unknown (was active)" when liveness is unknown, as kubectl's NotReady. */
export function shownPhase(p: Peer): string {
  const l = peerLiveness(p);
  return l === "unknown" ? `unknown (${p.phase})` : p.phase;
}

export const sumValues = (o: Readonly<Record<string, number>> | undefined): number => Object.values(o ?? {}).reduce((a, b) => a + b, 0);
