// @ts-nocheck
import type { Random } from "@drainkit/core";
import { Engine } from "./Engine.ts";

/** Result of {@link runMM1}. */
export interface MM1Result {
  readonly events: number;
  readonly served: number;
  /** Time-averaged number in the system; theory says ρ / (1 − ρ). */
  readonly meanInSystem: number;
  readonly simulatedMs: number;
}

/**
 * A plain M/M/1 queue on the bare {@link Engine}: Poisson arrivals at
 * `lambda` per ms, exponential service at `mu` per ms. It exists so the engine's
 * events/s can be set beside other discrete-event engines, and as a check of
 * the engine against queueing theory.
 *
 * @example
 * runMM1({ lambda: 0.8, mu: 1, customers: 100_000, random: new SeededRandom(1) }).meanInSystem; // ≈ 4
 */
export function runMM1(options: { lambda: number; mu: number; customers: number; random: Random }): MM1Result {
  const { lambda, mu, customers, random } = options;
  const engine = new Engine({ capacity: 64 });
  let inSystem = 0;
  let arrived = 0;
  let served = 0;
  let area = 0;
  let last = 0;
  const exp = (rate: number): number => -Math.log(1 - random.next()) / rate;
  const account = (): void => {
    area += inSystem * (engine.now - last);
    last = engine.now;
  };
  const DEPART = engine.register(() => {
    account();
    inSystem--;
    served++;
    if (inSystem > 0) engine.schedule(exp(mu), DEPART);
  });
  const ARRIVE = engine.register(() => {
    account();
    inSystem++;
    arrived++;
    if (inSystem === 1) engine.schedule(exp(mu), DEPART);
    if (arrived < customers) engine.schedule(exp(lambda), ARRIVE);
  });
  engine.schedule(exp(lambda), ARRIVE);
  engine.run();
  return { events: engine.events, served, meanInSystem: area / (engine.now || 1), simulatedMs: engine.now };
}
