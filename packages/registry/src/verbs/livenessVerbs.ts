import { DEFAULT_STALE_AFTER_MS, type PeerRecord } from "../peerRecord.ts";
import { requireScope } from "../rbac.ts";
import type { LivenessMarker } from "../roles.ts";
import type { MutationOptions, MutationOutcome } from "../types/mutation.ts";
import type { Peer, SilenceReport } from "../types/peer.ts";
import type { Principal } from "../types/principal.ts";
import { ValidationError } from "../errors.ts";
import { validateObject } from "../validate.ts";
import { configNumber } from "./configVerbs.ts";
import { keepPeer, peerMutation, writePeer } from "./peerMutation.ts";
import type { RegistryContext } from "./RegistryContext.ts";

/**
 * A peer going silent is a fact no agent can report. Reads judge liveness
 * from the last report's age already; this write makes the moment it turns
 * `unknown` a change of its own, audited and on the event feed, so watchers
 * (the dashboard, `drainctl peers list --watch`, routers) see a silent host
 * leave `live` when it happens, not at their next full read.
 */
export function livenessVerbs(ctx: RegistryContext): LivenessMarker {
  return {
    markSilent(principal: Principal, id: string, report: SilenceReport, options: MutationOptions = {}): Promise<MutationOutcome<Peer>> {
      return peerMutation(ctx, principal, "peerSilent", id, report, options, () => requireScope(principal, "mesh.operate", "markSilent"), async (record, version) => {
        const r = validateObject("report", report) as unknown as SilenceReport;
        if (!Number.isFinite(r.heartbeatAt)) throw new ValidationError("heartbeatAt", "expected the time of the peer's last report the caller saw, in ms");
        const status = record.status;
        // Reported since the caller looked, or already marked for this silence: nothing new is true.
        if (status === undefined || status.heartbeatAt !== r.heartbeatAt || record.silence?.lastReportAt === status.heartbeatAt) return keepPeer(ctx, record);
        const now = ctx.clock.now();
        const window = await configNumber(ctx, "heartbeat.staleAfterMs", DEFAULT_STALE_AFTER_MS);
        if (now - status.heartbeatAt <= window) return keepPeer(ctx, record);
        const next: PeerRecord = { ...record, silence: { at: now, lastReportAt: status.heartbeatAt }, generation: record.generation + 1, updatedAt: now };
        return writePeer(ctx, record, version, next);
      });
    },
  };
}
