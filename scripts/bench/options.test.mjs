import path from "node:path";
import { describe, expect, it } from "vitest";
import { defaultPeerDir, parseOptions, usage, WORKLOAD_NAMES } from "./options.mjs";

const repoRoot = "/srv/checkouts/authly";

describe("bench options", () => {
  it("has the documented defaults; the peer is looked for in ../shared/bench/peer beside the repository", () => {
    expect(parseOptions([], { repoRoot })).toEqual({
      help: false,
      rounds: 3,
      duration: "5s",
      connections: 32,
      workloads: WORKLOAD_NAMES,
      peer: false,
      peerDir: "/srv/checkouts/shared/bench/peer",
      json: false,
    });
    expect(defaultPeerDir(repoRoot)).toBe("/srv/checkouts/shared/bench/peer");
    expect(usage(repoRoot)).toContain("(default /srv/checkouts/shared/bench/peer)");
  });

  it("reads every option", () => {
    const opts = parseOptions(["--rounds", "5", "--duration", "10s", "--connections", "64", "--only", "jwks,discovery", "--peer", "--peer-dir", "rel/peer", "--json"], { repoRoot });
    expect(opts).toMatchObject({ rounds: 5, duration: "10s", connections: 64, workloads: ["jwks", "discovery"], peer: true, json: true });
    expect(opts.peerDir).toBe(path.resolve("rel/peer"));
  });

  it("runs the chosen workloads in the bench's own order, whatever the order given", () => {
    expect(parseOptions(["--only", " discovery, client_credentials ,"], { repoRoot }).workloads).toEqual(["client_credentials", "discovery"]);
  });

  it("answers --help without checking anything else", () => {
    expect(parseOptions(["--help"], { repoRoot })).toEqual({ help: true });
    expect(parseOptions(["-h", "--rounds", "0"], { repoRoot })).toEqual({ help: true });
  });

  it.each([
    [["--rounds", "0"], /--rounds: expected a whole number from 1 to 100/],
    [["--rounds", "2.5"], /--rounds/],
    [["--rounds", "101"], /--rounds/],
    [["--connections", "0"], /--connections: expected a whole number from 1 to 10000/],
    [["--duration", "5x"], /--duration: expected a wrk duration/],
    [["--duration", "0s"], /--duration/],
    [["--only", "jwks,userinfo"], /--only: unknown workload userinfo/],
    [["--only", ","], /--only: unknown workload \(none given\)/],
    [["--bogus"], /Unknown option '--bogus'/],
    [["positional"], /Unexpected argument 'positional'/],
  ])("refuses %j", (argv, message) => {
    expect(() => parseOptions(argv, { repoRoot })).toThrow(message);
  });
});
