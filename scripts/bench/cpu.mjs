// Server CPU time from /proc: utime + stime of a process and its live descendants, and the process
// that listens on a TCP port (found through /proc/net/tcp and the processes' socket descriptors).
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export const CLK_TCK = (() => {
  const r = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const n = Number(r.stdout?.trim());
  return r.status === 0 && n > 0 ? n : 100;
})();

/** Fields of a /proc/<pid>/stat line after the command name (the name may hold spaces and parentheses). */
export function parseProcStat(text) {
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state): field n is rest[n - 3].
  return { ppid: Number(rest[1]), utime: Number(rest[11]), stime: Number(rest[12]) };
}

function procStat(pid) {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
}

function allPids() {
  return readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number);
}

/** pid and all its live descendants. */
export function processTree(rootPid) {
  const byParent = new Map();
  for (const pid of allPids()) {
    const st = procStat(pid);
    if (!st) continue;
    if (!byParent.has(st.ppid)) byParent.set(st.ppid, []);
    byParent.get(st.ppid).push(pid);
  }
  const out = [];
  const queue = [rootPid];
  while (queue.length) {
    const pid = queue.shift();
    out.push(pid);
    queue.push(...(byParent.get(pid) ?? []));
  }
  return out;
}

/** CPU time (user + system) of a process and its live descendants, in seconds. */
export function cpuSeconds(rootPid) {
  let ticks = 0;
  for (const pid of processTree(rootPid)) {
    const st = procStat(pid);
    if (st) ticks += st.utime + st.stime;
  }
  return ticks / CLK_TCK;
}

/** Socket inodes listening on `port` in the text of /proc/net/tcp or /proc/net/tcp6. */
export function listeningInodes(text, port) {
  const inodes = new Set();
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== "0A") continue; // 0A = LISTEN
    if (parseInt(f[1].split(":").pop(), 16) === port) inodes.add(f[9]);
  }
  return inodes;
}

/** The pid (within candidates) holding a TCP socket listening on `port`, found through /proc. */
export function listeningPid(port, candidates) {
  const inodes = new Set();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const inode of listeningInodes(text, port)) inodes.add(inode);
  }
  if (inodes.size === 0) return undefined;
  for (const pid of candidates) {
    let fds;
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m && inodes.has(m[1])) return pid;
      } catch {
        /* fd closed meanwhile */
      }
    }
  }
  return undefined;
}
