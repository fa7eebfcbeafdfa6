// @ts-nocheck
import fc from "fast-check";
import { fcParams } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { addressRecord, decodeResponse, encodeName, encodeUpdate, signTsig } from "../../src/dns/wire.ts";

describe("DNS wire pieces", () => {
  it("encodes names lower-cased and uncompressed", () => {
    expect([...encodeName("Web.Example.TEST.")]).toEqual([3, 119, 101, 98, 7, 101, 120, 97, 109, 112, 108, 101, 4, 116, 101, 115, 116, 0]);
    expect(() => encodeName(`${"a".repeat(64)}.test`)).toThrow(RangeError);
  });

  it("encodes IPv4 and IPv6 addresses as A and AAAA rdata", () => {
    expect(addressRecord("10.1.2.3")).toEqual({ type: 1, rdata: Buffer.from([10, 1, 2, 3]) });
    expect(addressRecord("fd00::3").rdata.toString("hex")).toBe("fd000000000000000000000000000003");
    expect(addressRecord("::ffff:10.0.0.1").rdata.toString("hex")).toBe("00000000000000000000ffff0a000001");
    expect(() => addressRecord("web-1")).toThrow(RangeError);
    fc.assert(
      fc.property(fc.ipV6(), (ip) => {
        expect(addressRecord(ip).rdata.length).toBe(16);
      }), fcParams(),
    );
  });

  it("verifies a response signed with the same key and rejects one signed with another", () => {
    const key = { name: "k", secret: Buffer.alloc(32, 1).toString("base64") };
    const { signed, mac } = signTsig(encodeUpdate(42, "example.test", []), key, 1_700_000_000);
    // A server's answer signs the request MAC first; simulate it by signing with the MAC prefixed.
    const reply = Buffer.from(encodeUpdate(42, "example.test", []));
    reply.writeUInt16BE(0x8000 | (5 << 11), 2);
    const asServer = signTsigAfter(reply, key, mac);
    expect(decodeResponse(asServer, key, mac).tsig?.verified).toBe(true);
    expect(decodeResponse(asServer, { name: "k", secret: Buffer.alloc(32, 2).toString("base64") }, mac).tsig?.verified).toBe(false);
    expect(decodeResponse(signed, key, undefined).id).toBe(42);
  });
});

// The server side of RFC 8945 §4.3: MAC over (request MAC size, request MAC, response, variables).
import { createHmac } from "node:crypto";
function signTsigAfter(reply: Buffer, key: { name: string; secret: string }, requestMac: Buffer): Buffer {
  const size = Buffer.alloc(2);
  size.writeUInt16BE(requestMac.length);
  const vars = Buffer.concat([encodeName(key.name), Buffer.from([0, 255, 0, 0, 0, 0]), encodeName("hmac-sha256"), Buffer.from([0, 0, 0, 0, 0, 1]), Buffer.from([1, 44, 0, 0, 0, 0])]);
  const mac = createHmac("sha256", Buffer.from(key.secret, "base64")).update(size).update(requestMac).update(reply).update(vars).digest();
  const rdata = Buffer.concat([encodeName("hmac-sha256"), Buffer.from([0, 0, 0, 0, 0, 1]), Buffer.from([1, 44]), Buffer.from([0, 32]), mac, reply.subarray(0, 2), Buffer.from([0, 0, 0, 0])]);
  const rr = Buffer.concat([encodeName(key.name), Buffer.from([0, 250, 0, 255, 0, 0, 0, 0]), Buffer.from([rdata.length >> 8, rdata.length & 0xff]), rdata]);
  const out = Buffer.concat([reply, rr]);
  out.writeUInt16BE(reply.readUInt16BE(10) + 1, 10);
  return out;
}
