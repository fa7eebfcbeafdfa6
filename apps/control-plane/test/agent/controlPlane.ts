import { startControlPlaneForTest } from "../../src/testing/index.ts";

/** A real `drainkit serve` child process on SQLite in a temporary directory. */
export interface ControlPlaneProcess {
  readonly url: string;
  readonly adminToken: string;
  /** Tokens minted for agents, by peer id (scope mesh.agent). */
  readonly agentTokens: Readonly<Record<string, string>>;
  /** Stops the process (SIGTERM, it drains itself) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same store, tokens and port. */
  restart(): Promise<void>;
  /** Stops it and removes its directory. */
  dispose(): Promise<void>;
}

export async function startControlPlane(options: { agents?: readonly string[] } = {}): Promise<ControlPlaneProcess> {
  const cp = await startControlPlaneForTest({ agents: options.agents ?? [], adminToken: `dk_admin_${process.pid}_${Date.now()}`, args: ["--drain-timeout", "2s"] });
  return {
    url: cp.url,
    adminToken: cp.adminToken!,
    agentTokens: cp.agentTokens,
    stop: () => cp.stop(),
    restart: () => cp.restart(),
    dispose: () => cp.dispose(),
  };
}

/** Resolves once `check` returns a value other than undefined/false, polling every 20 ms (never a fixed sleep). */
export async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const started = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}${last === undefined ? "" : `: ${String(last)}`}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
