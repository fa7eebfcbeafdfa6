import type { FastifyInstance, InjectOptions } from "fastify";

/**
 * A `fetch` that hands each request to this server's own routes in process
 * (`app.inject`), past the HTTP drain gate: the replica's embedded agent
 * keeps reporting its drain after the gate has closed to everyone else. The
 * event stream goes over the network to `url` (it never ends, so it cannot be
 * injected); while that is refused the agent polls its spec through here.
 */
export function injectFetch(app: FastifyInstance, network: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (url.pathname === "/control/events") return network(input, init);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, key) => {
      headers[key] = value;
    });
    const body = request.body === null ? undefined : Buffer.from(await request.arrayBuffer());
    request.signal.throwIfAborted();
    const res = await app.inject({
      method: request.method as NonNullable<InjectOptions["method"]>,
      url: `${url.pathname}${url.search}`,
      headers,
      ...(body === undefined ? {} : { payload: body }),
    });
    const out = new Headers();
    for (const [key, value] of Object.entries(res.headers)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) out.append(key, String(v));
    }
    const empty = res.statusCode === 204 || res.statusCode === 304 || request.method === "HEAD";
    return new Response(empty ? null : res.rawPayload, { status: res.statusCode, headers: out });
  };
}
