import { describe, expect, it } from "vitest";
import { createLogger } from "../observability/logger";
import { DeferredWork } from "./deferred-work";

function recordingLogger() {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: "debug", write: (line) => lines.push(line) }) };
}

describe("DeferredWork", () => {
  it("starts a task only after the caller's turn, so the caller answers first", async () => {
    const { logger } = recordingLogger();
    const work = new DeferredWork({ logger });
    const order: string[] = [];
    const answer = (async () => {
      work.run("task", async () => void order.push("task"));
      order.push("answer");
    })();
    await answer;
    // The caller's continuation (a microtask) ran; the task (setImmediate) has not.
    expect(order).toEqual(["answer"]);
    expect(work.size).toBe(1);
    await work.settled();
    expect(order).toEqual(["answer", "task"]);
    expect(work.size).toBe(0);
  });

  it("catches and logs a failing task by name, without its data, and keeps going", async () => {
    const { logger, lines } = recordingLogger();
    const work = new DeferredWork({ logger });
    let after = false;
    work.run("throws at once", () => {
      throw new Error("boom");
    });
    work.run("rejects", async () => {
      throw new Error("later");
    });
    work.run("fine", async () => {
      after = true;
    });
    await work.settled();
    expect(after).toBe(true);
    const failures = lines.filter((l) => l.includes("deferred task failed"));
    expect(failures).toHaveLength(2);
    expect(failures.some((l) => l.includes("throws at once"))).toBe(true);
    expect(failures.some((l) => l.includes("rejects"))).toBe(true);
  });

  it("settled() and close() wait for tasks started by tasks; close() drains what was promised", async () => {
    const { logger, lines } = recordingLogger();
    // Held tasks: they start only when the test releases them, so the drain is what finishes them.
    const held: (() => void)[] = [];
    const work = new DeferredWork({ logger, schedule: (start) => void held.push(start) });
    const done: string[] = [];
    work.run("outer", async () => {
      work.run("inner", async () => void done.push("inner"));
      done.push("outer");
    });
    const closing = work.close();
    let closed = false;
    void closing.then(() => (closed = true));
    await Promise.resolve();
    expect(closed).toBe(false);
    held.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toEqual(["outer"]);
    expect(closed).toBe(false);
    held.shift()!();
    await closing;
    expect(done).toEqual(["outer", "inner"]);
    // After close a task still runs (and is awaited by settled()), with a warning.
    work.run("late", async () => void done.push("late"));
    held.shift()!();
    await work.settled();
    expect(done.at(-1)).toBe("late");
    expect(lines.some((l) => l.includes("deferred task started after close"))).toBe(true);
  });
});
