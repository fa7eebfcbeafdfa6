import { setTimeout as sleep } from "node:timers/promises";
import { api } from "./serve.ts";

/** The fields of a peer the fake agents read. */
export interface PeerBody {
  id: string;
  phase: string;
  epoch: number;
  updatedAt: number;
  phases: Record<string, string>;
  metadata: Record<string, unknown>;
  spec: { drain?: { epoch: number } };
  status?: { heartbeatAt: number; epoch: number };
}

/**
 * The hosts' agents, played by the test: each reports its drain done when
 * asked, "upgrades" (re-registers on version 2.0.0) once drained, and
 * reports a heartbeat after every other change of its peer.
 */
export function fakeAgents(url: string, token: string, ids: readonly string[]): AbortController {
  const stop = new AbortController();
  void (async () => {
    while (!stop.signal.aborted) {
      for (const id of ids) {
        try {
          const p = (await api(url, token, "GET", `/control/peers/${id}`)).body as unknown as PeerBody;
          const roles = Object.fromEntries(Object.entries(p.phases).map(([r, ph]) => [r, { phase: ph === "cordoned" ? "active" : ph, epoch: p.epoch }]));
          if (p.phase === "draining" && p.spec.drain) {
            const epoch = p.spec.drain.epoch;
            await api(url, token, "PUT", `/control/peers/${id}/status`, { roles: { edge: { phase: "drained", epoch } }, epoch, inFlight: { http: 0 }, workloads: { owners: 0, children: 0 } });
          } else if (p.phase === "drained" && p.metadata["version"] !== "2.0.0") {
            await api(url, token, "PUT", `/control/peers/${id}`, { address: `${id}:80`, pools: ["web"], roles: ["edge"], metadata: { version: "2.0.0" } });
          } else if (p.status === undefined || p.status.heartbeatAt < p.updatedAt) {
            await api(url, token, "PUT", `/control/peers/${id}/status`, { roles, epoch: p.epoch, inFlight: { http: 0 }, workloads: { owners: 0, children: 0 } });
          }
        } catch {
          // The server may be restarting; the next round retries.
        }
      }
      await sleep(100).catch(() => {});
    }
  })();
  return stop;
}

