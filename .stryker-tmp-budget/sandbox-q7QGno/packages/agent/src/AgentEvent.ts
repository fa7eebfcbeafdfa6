/** How the agent follows its spec: the event stream, or polling while the stream is down. */
// @ts-nocheck

export type WatchMode = "stopped" | "streaming" | "polling";

/** Typed events the agent emits. */
export type AgentEvent =
  | { readonly type: "agent-registered"; readonly peer: string; readonly at: number }
  | { readonly type: "agent-watch"; readonly peer: string; readonly mode: WatchMode; readonly at: number }
  | { readonly type: "agent-drain"; readonly peer: string; readonly epoch: number; readonly roles: readonly string[]; readonly at: number }
  | { readonly type: "agent-drain-result"; readonly peer: string; readonly epoch: number; readonly status: "drained" | "failed"; readonly failure?: string; readonly at: number }
  | { readonly type: "agent-shutdown"; readonly peer: string; readonly via: "control-plane" | "local"; readonly epoch?: number; readonly why?: string; readonly at: number }
  | { readonly type: "agent-resume"; readonly peer: string; readonly at: number }
  | { readonly type: "agent-stale-spec"; readonly peer: string; readonly epoch: number; readonly acted: number; readonly at: number }
  | { readonly type: "agent-report-failed"; readonly peer: string; readonly error: string; readonly at: number }
  | { readonly type: "agent-move"; readonly peer: string; readonly move: string; readonly workload: string; readonly action: "started" | "stopped" | "failed" | "cleaned-up"; readonly reason?: string; readonly at: number };
