import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve, type Served } from "./serve.ts";

let dir: string;
let served: Served | undefined;
const ADMIN = "tls-admin-token-0123456789abcdef";

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
}

/** A throwaway CA, a server certificate for 127.0.0.1 and a client certificate for the agent of node-a. */
async function makeCertificates(): Promise<void> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=drainkit-test-ca", "-days", "2");
  await writeFile(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  await writeFile(join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n");
  for (const [name, cn] of [["server", "127.0.0.1"], ["client", "node-a"]] as const) {
    openssl("req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`);
    openssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.pem`, "-days", "2", "-extfile", `${name}.ext`);
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "drainkit-tls-"));
  await makeCertificates();
  served = await serve(
    ["--store", `sqlite:${join(dir, "db.sqlite")}`, "--tls-cert", join(dir, "server.pem"), "--tls-key", join(dir, "server.key"), "--client-ca", join(dir, "ca.pem")],
    { DRAINKIT_ADMIN_TOKEN: ADMIN },
  );
}, 60_000);

afterAll(async () => {
  if (served && served.proc.exitCode === null) {
    served.proc.kill("SIGKILL");
    await served.exited;
  }
  await rm(dir, { recursive: true, force: true });
});

describe("TLS and mutual TLS for agents", () => {
  it("serves HTTPS; operators use bearer tokens, agents their client certificate (CN = peer id, scope mesh.agent)", async () => {
    expect(served!.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = await readFile(join(dir, "ca.pem"));
    const operator = new Agent({ connect: { ca } });
    const agent = new Agent({ connect: { ca, cert: await readFile(join(dir, "client.pem")), key: await readFile(join(dir, "client.key")) } });
    try {
      const list = await undiciFetch(`${served!.url}/control/peers`, { dispatcher: operator, headers: { authorization: `Bearer ${ADMIN}` } });
      expect(list.status).toBe(200);
      await list.text();

      const anonymous = await undiciFetch(`${served!.url}/control/peers`, { dispatcher: operator });
      expect(anonymous.status).toBe(401);
      await anonymous.text();

      const body = JSON.stringify({ address: "10.0.0.1:80", pools: ["web"], roles: ["edge"] });
      const own = await undiciFetch(`${served!.url}/control/peers/node-a`, { method: "PUT", dispatcher: agent, headers: { "content-type": "application/json" }, body });
      expect(own.status).toBe(200);
      await own.text();
      const other = await undiciFetch(`${served!.url}/control/peers/node-b`, { method: "PUT", dispatcher: agent, headers: { "content-type": "application/json" }, body });
      expect(other.status).toBe(403);
      expect(((await other.json()) as { type: string }).type).toBe("https://drainkit.dev/problems/forbidden");
      const cordon = await undiciFetch(`${served!.url}/control/peers/node-a:cordon`, { method: "POST", dispatcher: agent, headers: { "content-type": "application/json" }, body: '{"reason":"x"}' });
      expect(cordon.status).toBe(403);
      await cordon.text();
    } finally {
      await operator.close();
      await agent.close();
    }
  });
});
