import type { CliError } from "./errors.ts";

const TARGET = Symbol("drainctl.target");

/**
 * Records which peer the command was acting on when `e` was thrown, so the
 * hint can name it whatever the transport (gRPC problems carry no request
 * path). Returns `e`, to rethrow.
 *
 * @example
 * try { await call(id) } catch (e) { throw aboutPeer(e, id); }
 */
export function aboutPeer<E>(e: E, peer: string): E {
  if (typeof e === "object" && e !== null && !(TARGET in e)) Object.defineProperty(e, TARGET, { value: peer, enumerable: false });
  return e;
}

/** The peer a problem is about: `details.peer`, else the peer the command was acting on. */
function peerOf(e: CliError, problem: { readonly details?: Readonly<Record<string, unknown>> }): string | undefined {
  const d = problem.details?.["peer"];
  if (typeof d === "string") return d;
  const t = (e as unknown as Record<symbol, unknown>)[TARGET];
  return typeof t === "string" ? t : undefined;
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/**
 * The `next:` hint with the values the problem names (pool, peer, role,
 * rollout) in place of the catalogue's placeholders, so the command can be
 * pasted as it stands. Undefined when the problem names nothing to fill in:
 * the catalogue's hint stays.
 *
 * @example
 * refinedNext(problemError); // "Wait for other members of pool web to come back: drainctl peers list --pool web, …"
 */
export function refinedNext(e: CliError): string | undefined {
  const problem = (e as CliError & { problem?: { code?: string; instance?: string; details?: Record<string, unknown> } }).problem;
  if (problem === undefined) return undefined;
  const details = problem.details ?? {};
  const peer = peerOf(e, problem);
  switch (problem.code) {
    case "pool-depletion": {
      const pool = str(details["pool"]);
      if (pool === undefined) return undefined;
      return `Wait for other members of pool ${pool} to come back (drainctl peers list --pool ${pool}), drain with --sequential to take one at a time, or have an admin pass --force with a --reason.`;
    }
    case "only-schedulable-node": {
      const role = str(details["role"]);
      if (role === undefined) return undefined;
      return `Bring another node serving ${role} back first (see them with drainctl peers list --role ${role}), or have an admin run the same command with --force and a --reason${peer === undefined ? "" : ` to take ${peer} out anyway`}.`;
    }
    case "invalid-transition": {
      const rollout = str(details["rollout"]);
      if (rollout !== undefined) return `See where the rollout is: drainctl rollout status ${rollout}`;
      return peer === undefined ? undefined : `See where the peer is: drainctl peers describe ${peer}`;
    }
    case "rollout-in-progress": {
      const rollout = str(details["rollout"]);
      return rollout === undefined ? undefined : `Follow it with drainctl rollout status ${rollout} --wait, or stop it with drainctl rollout abort ${rollout}.`;
    }
    case "last-active-cluster":
      return "Promote another cluster first: drainctl clusters list, then drainctl clusters promote <one of them>.";
    default:
      return undefined;
  }
}
