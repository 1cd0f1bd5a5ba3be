import { describe, expect, it } from "vitest";
import { listeningInodes, parseProcStat } from "./cpu.mjs";

describe("/proc parsing", () => {
  it("reads ppid, utime and stime after a command name with spaces and parentheses", () => {
    const stat = "4242 (node (next-server) v2) S 4200 4242 4200 0 -1 4194560 5000 0 0 0 1234 567 0 0 20 0 11 0 9999 1000000 20000";
    expect(parseProcStat(stat)).toEqual({ ppid: 4200, utime: 1234, stime: 567 });
  });

  it("finds the sockets listening on a port (state 0A) and ignores connections to it", () => {
    const tcp = [
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
      "   0: 0100007F:0C82 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 100 0 0 10 0",
      "   1: 0100007F:0C81 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 222 1 0000000000000000 100 0 0 10 0",
      "   2: 0100007F:0C82 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 333 1 0000000000000000 20 4 30 10 -1",
    ].join("\n");
    expect([...listeningInodes(tcp, 3202)]).toEqual(["111"]);
    expect([...listeningInodes(tcp, 3201)]).toEqual(["222"]);
    expect(listeningInodes(tcp, 3100).size).toBe(0);
  });
});
