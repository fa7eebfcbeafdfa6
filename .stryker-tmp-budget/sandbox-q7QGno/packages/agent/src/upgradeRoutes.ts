// @ts-nocheck
import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isDrainkitError, systemClock, type Clock, type DrainSnapshot, type NodeDrainCoordinator } from "@drainkit/core";
import type { AgentSnapshot, DrainAgent } from "./DrainAgent.ts";

/** Settings of {@link upgradeRoutes}. */
export interface UpgradeRoutesOptions {
  readonly coordinator: NodeDrainCoordinator;
  /** The host's agent: its state is shown, and it reports each local drain and resume at once. */
  readonly agent?: DrainAgent;
  /** Bearer token the routes require. Without one they are open: serve them on loopback only. */
  readonly token?: string;
  readonly clock?: Clock;
  /** Deadline of a local drain when the request names none, ms. Default 60 000. */
  readonly defaultDeadlineMs?: number;
}

/** What `GET /control/upgrade` answers. */
export interface UpgradeState {
  readonly status: DrainSnapshot["status"];
  readonly phase: DrainSnapshot["phase"];
  readonly epoch: number;
  readonly roles: readonly string[];
  readonly reason?: string;
  readonly deadline?: number;
  readonly participants: DrainSnapshot["participants"];
  readonly blocking: readonly string[];
  readonly failure?: string;
  readonly agent?: AgentSnapshot;
}

const PROBLEM = "application/problem+json";

const drainBody = {
  type: "object",
  required: ["reason"],
  additionalProperties: false,
  properties: {
    reason: { type: "string", minLength: 1, maxLength: 1024 },
    deadlineMs: { type: "integer", minimum: 1, maximum: 7 * 24 * 3600 * 1000 },
    roles: { type: "array", minItems: 1, maxItems: 32, uniqueItems: true, items: { type: "string", minLength: 1, maxLength: 128 } },
    wait: { type: "boolean", description: "Answer only once the drain has finished (drained or failed)." },
  },
} as const;

/**
 * The host's own diagnostics routes, for a host drained directly rather than
 * through the control plane (REFDISC-033):
 *
 * - `GET /control/upgrade`: the local drain state (200; 202 while draining);
 * - `POST /control/upgrade/drain {reason, deadlineMs?, roles?, wait?}`: closes
 *   the gates; 202 while in flight work finishes, 200 once drained (with
 *   `wait: true` it answers when done), 409 `drain-failed` if it failed;
 * - `POST /control/upgrade/resume`: reopens the gates (200).
 *
 * Register them on a listener of their own (an admin port): the HTTP drain
 * participant answers 503 to every request of a draining server, and the
 * resume must still get through.
 *
 * @example
 * const admin = Fastify();
 * await admin.register(upgradeRoutes, { coordinator, agent, token: process.env.ADMIN_TOKEN });
 * await admin.listen({ host: "127.0.0.1", port: 9901 });
 */
export async function upgradeRoutes(app: FastifyInstance, options: UpgradeRoutesOptions): Promise<void> {
  const { coordinator, agent } = options;
  const clock = options.clock ?? systemClock();
  const defaultDeadlineMs = options.defaultDeadlineMs ?? 60_000;
  const expected = options.token === undefined ? undefined : Buffer.from(`Bearer ${options.token}`);

  const state = (): UpgradeState => {
    const s = coordinator.snapshot();
    return {
      status: s.status,
      phase: s.phase,
      epoch: s.epoch,
      roles: s.roles,
      ...(s.reason === undefined ? {} : { reason: s.reason }),
      ...(s.deadline === undefined ? {} : { deadline: s.deadline }),
      participants: s.participants,
      blocking: s.blocking,
      ...(s.failure === undefined ? {} : { failure: s.failure }),
      ...(agent === undefined ? {} : { agent: agent.snapshot() }),
    };
  };
  const problem = (reply: FastifyReply, status: number, code: string, detail: string, extra: Record<string, unknown> = {}): FastifyReply =>
    reply.code(status).type(PROBLEM).send({ type: `https://drainkit.dev/problems/${code}`, title: code, status, detail, code, ...extra });

  const authorize = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (expected === undefined) return;
    const got = Buffer.from(request.headers.authorization ?? "");
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
      await problem(reply, 401, "unauthenticated", "Send the host's admin token as `Authorization: Bearer <token>`.");
    }
  };

  app.get("/control/upgrade", { onRequest: authorize }, async (_request, reply) => {
    const s = state();
    return reply.code(s.status === "draining" ? 202 : 200).send(s);
  });

  app.post("/control/upgrade/drain", { onRequest: authorize, schema: { body: drainBody } }, async (request, reply) => {
    const body = request.body as { reason: string; deadlineMs?: number; roles?: string[]; wait?: boolean };
    let pending;
    try {
      pending = coordinator.drain({ reason: body.reason, deadline: clock.now() + (body.deadlineMs ?? defaultDeadlineMs), ...(body.roles === undefined ? {} : { roles: body.roles }) });
    } catch (error) {
      return problem(reply, 400, isDrainkitError(error) ? error.code : "validation", error instanceof Error ? error.message : String(error));
    }
    const reported = pending.then(
      () => agent?.reportNow(),
      () => undefined,
    );
    void agent?.reportNow();
    if (body.wait === true) {
      try {
        const result = await pending;
        await reported;
        if (result.status === "failed") return problem(reply, 409, "drain-failed", `${result.failure}; blocking: ${result.blocking.join(", ") || "none"}. Resume the host, or fix what blocks and drain again.`, { state: state() });
      } catch (error) {
        return problem(reply, 409, isDrainkitError(error) ? error.code : "drain-refused", error instanceof Error ? error.message : String(error));
      }
    } else {
      // A drain that is over already (nothing was in flight) answers 200 at once.
      await Promise.race([pending.catch(() => undefined), Promise.resolve()]);
    }
    const s = state();
    if (s.status === "failed") return problem(reply, 409, "drain-failed", `${s.failure ?? "drain failed"}. Resume the host, or fix what blocks and drain again.`, { state: s });
    return reply.code(s.status === "draining" ? 202 : 200).send(s);
  });

  app.post("/control/upgrade/resume", { onRequest: authorize }, async (_request, reply) => {
    try {
      await coordinator.resume();
    } catch (error) {
      return problem(reply, 500, isDrainkitError(error) ? error.code : "resume-failed", error instanceof Error ? error.message : String(error));
    }
    await agent?.reportNow();
    return reply.code(200).send(state());
  });
}
