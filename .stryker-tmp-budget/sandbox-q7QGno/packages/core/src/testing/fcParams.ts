/** What {@link fcParams} adds to a property's parameters to replay a run. */
// @ts-nocheck

export interface FcReplay {
  readonly seed?: number;
  readonly path?: string;
}

/**
 * Parameters for `fc.assert` that replay a failure: a failing run prints
 * `seed` and `path`; run again with `FC_SEED=<seed>` (and `FC_PATH=<path>`
 * to jump straight to the shrunk counterexample). Without them fast-check
 * picks a fresh seed, or the `seed` given here (a suite that pins one).
 * Every property test passes its parameters through this, so one
 * environment variable replays any of them.
 *
 * @example
 * fc.assert(fc.property(fc.nat(), (n) => n >= 0), fcParams({ numRuns: 200 }));
 * // FC_SEED=1234 FC_PATH="3:1" pnpm --filter @drainkit/core exec vitest run test/budget
 */
export function fcParams<P extends object = Record<never, never>>(params?: P): P & FcReplay {
  // The environment is the replay input of a test run; core's own code never reads it.
  // eslint-disable-next-line no-restricted-globals
  const env = process.env;
  const seed = env["FC_SEED"];
  const path = env["FC_PATH"];
  return {
    ...(params ?? ({} as P)),
    ...(seed === undefined || seed === "" ? {} : { seed: Number(seed) }),
    ...(path === undefined || path === "" ? {} : { path }),
  };
}
