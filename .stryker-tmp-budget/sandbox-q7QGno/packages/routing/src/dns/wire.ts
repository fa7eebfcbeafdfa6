// @ts-nocheck
// The few pieces of the DNS wire format (RFC 1035) an RFC 2136 UPDATE with a
// TSIG (RFC 8945) needs. Names are written uncompressed: TSIG's MAC is over
// canonical names anyway, and update messages are small.
import { createHmac, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";

export const TYPE = { A: 1, SOA: 6, AAAA: 28, TSIG: 250 } as const;
export const CLASS = { IN: 1, NONE: 254, ANY: 255 } as const;
const OPCODE_UPDATE = 5;

export const RCODES: readonly string[] = [
  "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
];
const TSIG_ERRORS: Readonly<Record<number, string>> = { 16: "BADSIG", 17: "BADKEY", 18: "BADTIME", 22: "BADTRUNC" };

export function rcodeName(code: number): string {
  return TSIG_ERRORS[code] ?? RCODES[code] ?? `RCODE${code}`;
}

/** `www.example.test` → length-prefixed labels, lower-cased (canonical form). */
export function encodeName(name: string): Buffer {
  const trimmed = name.endsWith(".") ? name.slice(0, -1) : name;
  const parts: Buffer[] = [];
  if (trimmed.length > 0) {
    for (const label of trimmed.toLowerCase().split(".")) {
      const bytes = Buffer.from(label, "ascii");
      if (bytes.length === 0 || bytes.length > 63) throw new RangeError(`DNS label "${label}" in "${name}" must be 1 to 63 characters`);
      parts.push(Buffer.from([bytes.length]), bytes);
    }
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function u48(n: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUIntBE(n, 0, 6);
  return b;
}

/** The RR type and rdata of an IPv4 or IPv6 address. */
export function addressRecord(address: string): { readonly type: number; readonly rdata: Buffer } {
  const family = isIP(address);
  if (family === 4) return { type: TYPE.A, rdata: Buffer.from(address.split(".").map(Number)) };
  if (family === 6) return { type: TYPE.AAAA, rdata: ipv6Bytes(address) };
  throw new RangeError(`"${address}" is not an IPv4 or IPv6 address`);
}

function ipv6Bytes(address: string): Buffer {
  let text = address;
  const out = Buffer.alloc(16);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4 !== null) {
    const o = v4[1]!.split(".").map(Number);
    text = text.slice(0, -v4[1]!.length) + `${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? (text.split("::") as [string, string]) : [text, undefined];
  const h = head === "" ? [] : head.split(":");
  const t = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

export interface ResourceRecord {
  readonly name: string;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  readonly rdata: Buffer;
}

function encodeRecord(rr: ResourceRecord): Buffer {
  return Buffer.concat([encodeName(rr.name), u16(rr.type), u16(rr.class), u32(rr.ttl), u16(rr.rdata.length), rr.rdata]);
}

/** An UPDATE message (RFC 2136 §2) without TSIG: zone section, no prerequisites, the updates. */
export function encodeUpdate(id: number, zone: string, updates: readonly ResourceRecord[]): Buffer {
  const header = Buffer.concat([u16(id), u16(OPCODE_UPDATE << 11), u16(1), u16(0), u16(updates.length), u16(0)]);
  const zoneSection = Buffer.concat([encodeName(zone), u16(TYPE.SOA), u16(CLASS.IN)]);
  return Buffer.concat([header, zoneSection, ...updates.map(encodeRecord)]);
}

/** A TSIG key: its name, and the shared secret (base64, as in named.conf). */
export interface TsigKey {
  readonly name: string;
  readonly secret: string;
  /** Only HMAC-SHA256 is supported. */
  readonly algorithm?: "hmac-sha256";
}

const ALGORITHM = "hmac-sha256";

function tsigVariables(key: TsigKey, timeSigned: number, fudge: number, error: number, other: Buffer): Buffer {
  return Buffer.concat([encodeName(key.name), u16(CLASS.ANY), u32(0), encodeName(ALGORITHM), u48(timeSigned), u16(fudge), u16(error), u16(other.length), other]);
}

function hmac(key: TsigKey, ...parts: Buffer[]): Buffer {
  const h = createHmac("sha256", Buffer.from(key.secret, "base64"));
  for (const p of parts) h.update(p);
  return h.digest();
}

/**
 * Appends a TSIG record (RFC 8945 §4.2) to `message` and bumps ARCOUNT.
 * Returns the signed message and the MAC, which the response's MAC covers.
 */
export function signTsig(message: Buffer, key: TsigKey, timeSigned: number, fudge = 300): { readonly signed: Buffer; readonly mac: Buffer } {
  const mac = hmac(key, message, tsigVariables(key, timeSigned, fudge, 0, Buffer.alloc(0)));
  const id = message.readUInt16BE(0);
  const rdata = Buffer.concat([encodeName(ALGORITHM), u48(timeSigned), u16(fudge), u16(mac.length), mac, u16(id), u16(0), u16(0)]);
  const signed = Buffer.concat([message, encodeRecord({ name: key.name, type: TYPE.TSIG, class: CLASS.ANY, ttl: 0, rdata })]);
  signed.writeUInt16BE(message.readUInt16BE(10) + 1, 10);
  return { signed, mac };
}

/** Offset just past the (possibly compressed) name starting at `offset`. */
function skipName(buf: Buffer, offset: number): number {
  let o = offset;
  for (;;) {
    const len = buf.readUInt8(o);
    if (len === 0) return o + 1;
    if ((len & 0xc0) === 0xc0) return o + 2;
    o += 1 + len;
  }
}

function readName(buf: Buffer, offset: number): string {
  const labels: string[] = [];
  let o = offset;
  for (let hops = 0; hops < 64; hops++) {
    const len = buf.readUInt8(o);
    if (len === 0) return labels.join(".").toLowerCase();
    if ((len & 0xc0) === 0xc0) {
      o = buf.readUInt16BE(o) & 0x3fff;
      continue;
    }
    labels.push(buf.toString("ascii", o + 1, o + 1 + len));
    o += 1 + len;
  }
  throw new RangeError("DNS name compression loop");
}

/** What a server answered to an UPDATE. */
export interface UpdateResponse {
  readonly id: number;
  readonly rcode: number;
  /** TC: the answer did not fit a UDP datagram; ask again over TCP. */
  readonly truncated: boolean;
  /** Present when the response carried a TSIG record. */
  readonly tsig?: { readonly keyName: string; readonly error: number; readonly verified: boolean };
}

/**
 * Reads a response's header and, when it carries one, checks its TSIG MAC
 * (RFC 8945 §5.3: request MAC, then the response without its TSIG record).
 */
export function decodeResponse(buf: Buffer, key: TsigKey | undefined, requestMac: Buffer | undefined): UpdateResponse {
  if (buf.length < 12) throw new RangeError("DNS response shorter than its header");
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  const counts = [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)] as const;
  if ((flags & 0x0200) !== 0) return { id, rcode: flags & 0xf, truncated: true };
  let o = 12;
  for (let i = 0; i < counts[0]; i++) o = skipName(buf, o) + 4;
  let tsig: UpdateResponse["tsig"];
  const records = counts[1] + counts[2] + counts[3];
  for (let i = 0; i < records; i++) {
    const start = o;
    const nameEnd = skipName(buf, o);
    const type = buf.readUInt16BE(nameEnd);
    const rdlength = buf.readUInt16BE(nameEnd + 8);
    const rdata = nameEnd + 10;
    o = rdata + rdlength;
    if (type !== TYPE.TSIG || i !== records - 1) continue;
    const keyName = readName(buf, start);
    const algEnd = skipName(buf, rdata);
    const timeSigned = buf.readUIntBE(algEnd, 6);
    const fudge = buf.readUInt16BE(algEnd + 6);
    const macSize = buf.readUInt16BE(algEnd + 8);
    const mac = buf.subarray(algEnd + 10, algEnd + 10 + macSize);
    let p = algEnd + 10 + macSize;
    const originalId = buf.readUInt16BE(p);
    const error = buf.readUInt16BE(p + 2);
    const otherLen = buf.readUInt16BE(p + 4);
    p += 6;
    const other = buf.subarray(p, p + otherLen);
    let verified = false;
    if (key !== undefined && requestMac !== undefined && macSize > 0) {
      const unsigned = Buffer.from(buf.subarray(0, start));
      unsigned.writeUInt16BE(originalId, 0);
      unsigned.writeUInt16BE(counts[3] - 1, 10);
      const expected = hmac(key, u16(requestMac.length), requestMac, unsigned, tsigVariables(key, timeSigned, fudge, error, other));
      verified = expected.length === mac.length && timingSafeEqual(expected, mac);
    }
    tsig = { keyName, error, verified };
  }
  return { id, rcode: flags & 0xf, truncated: (flags & 0x0200) !== 0, ...(tsig === undefined ? {} : { tsig }) };
}
