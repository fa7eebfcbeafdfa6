import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, drainctl, FakeAgent, json, startServer, type Server } from "./harness.ts";

let server: Server;

beforeAll(async () => {
  server = await startServer();
  await new FakeAgent(server).register("ctx-1");
});

afterAll(async () => {
  await server?.stop();
});

/** Only the context file: no server or token in the environment. */
const bare = (xdg: string) => ({ env: { XDG_CONFIG_HOME: xdg, DRAINCTL_SERVER: undefined, DRAINCTL_TOKEN: undefined } });

describe("drainctl context", () => {
  it("saves named contexts in the XDG config dir, readable by the owner only, and uses the current one", async () => {
    const xdg = mkdtempSync(join(tmpdir(), "drainctl-xdg-"));
    expect((await drainctl(undefined, ["context", "set", "prod", "--server", server.url, "--token", ADMIN_TOKEN, "--use"], bare(xdg))).code).toBe(0);
    expect((await drainctl(undefined, ["context", "set", "broken", "--server", "http://127.0.0.1:1"], bare(xdg))).code).toBe(0);
    const file = join(xdg, "drainctl", "config.yaml");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8")).toContain("current-context: prod");

    const list = await drainctl(undefined, ["context", "list"], bare(xdg));
    expect(list.stdout).toMatch(/\*\s+prod\s+http:\/\/127\.0\.0\.1:\d+\s+dk_e2e…/);
    expect(list.stdout).not.toContain(ADMIN_TOKEN);

    const peers = await drainctl(undefined, ["peers", "list", "-o", "json"], bare(xdg));
    expect(json<{ items: { id: string }[] }>(peers).items.map((p) => p.id)).toEqual(["ctx-1"]);

    // --context picks another; flags beat the environment, which beats the file.
    expect((await drainctl(undefined, ["peers", "list", "--context", "broken"], bare(xdg))).code).toBe(6);
    expect((await drainctl(undefined, ["peers", "list", "--context", "broken", "--server", server.url, "--token", ADMIN_TOKEN], bare(xdg))).code).toBe(0);
    expect((await drainctl(undefined, ["peers", "list"], { env: { ...bare(xdg).env, DRAINCTL_TOKEN: "dk_wrong" } })).code).toBe(5);
    expect((await drainctl(undefined, ["peers", "list", "--context", "nope"], bare(xdg))).code).toBe(2);

    expect((await drainctl(undefined, ["context", "use", "broken"], bare(xdg))).code).toBe(0);
    expect((await drainctl(undefined, ["peers", "list"], bare(xdg))).code).toBe(6);
    expect((await drainctl(undefined, ["context", "delete", "broken"], bare(xdg))).code).toBe(0);
    expect(json<{ items: { name: string }[] }>(await drainctl(undefined, ["context", "list", "-o", "json"], bare(xdg))).items.map((c) => c.name)).toEqual(["prod"]);
    rmSync(xdg, { recursive: true, force: true });
  });

  it("reads DRAINCTL_CONFIG and explains a broken file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "drainctl-cfg-"));
    const path = join(dir, "cfg.yaml");
    writeFileSync(path, "contexts: [unclosed\n");
    const run = await drainctl(undefined, ["peers", "list"], { env: { DRAINCTL_CONFIG: path, DRAINCTL_SERVER: undefined } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("is not valid YAML");
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("drainctl completion", () => {
  const complete = (script: string, words: string[]): string[] => {
    const line = words.map((w) => `'${w}'`).join(" ");
    const out = execFileSync("bash", ["-c", `${script}\nCOMP_WORDS=(${line}); COMP_CWORD=${words.length - 1}; _drainctl; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: "utf8" });
    return out.split("\n").filter(Boolean);
  };

  it("completes verbs, flags and flag values in bash", async () => {
    const bash = (await drainctl(undefined, ["completion", "bash"])).stdout;
    expect(complete(bash, ["drainctl", ""])).toEqual(expect.arrayContaining(["peers", "clusters", "config", "audit", "events", "context", "completion"]));
    expect(complete(bash, ["drainctl", "peers", "dr"])).toEqual(["drain"]);
    expect(complete(bash, ["drainctl", "peers", "drain", "--no"])).toEqual(["--no-wait"]);
    expect(complete(bash, ["drainctl", "-o", "peers", "list", "-o", ""])).toEqual(["table", "wide", "name", "json", "yaml", "jsonpath="]);
    expect(complete(bash, ["drainctl", "audit", "v"])).toEqual(["verify"]);
  });

  it("prints zsh and fish scripts covering the same tree, and refuses other shells", async () => {
    const zsh = (await drainctl(undefined, ["completion", "zsh"])).stdout;
    expect(zsh.split("\n")[0]).toBe("#compdef drainctl");
    expect(zsh).toContain("'peers drain')");
    expect(zsh).toContain("'--dry-run[server-side: run every check, change nothing, list what blocks each peer (several peers: in order, each after the ones before it)]'");
    const fish = (await drainctl(undefined, ["completion", "fish"])).stdout;
    expect(fish).toContain("complete -c drainctl -n 'test (__drainctl_path) = '\\''peers'\\''' -a 'drain'");
    expect(fish).toContain("-l output -s o -r -a 'table wide name json yaml jsonpath='");
    const other = await drainctl(undefined, ["completion", "tcsh"]);
    expect(other.code).toBe(2);
  });
});
