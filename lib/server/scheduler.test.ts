import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { silentLogger, type Logger } from "../observability/logger";
import { systemClock } from "./clock";
import { Scheduler } from "./scheduler";

/** A task whose runs can be held open; counts starts and ends. */
function slowTask() {
  const state = { started: 0, finished: 0 };
  let release: () => void = () => undefined;
  let held = false;
  const run = vi.fn(async () => {
    state.started++;
    if (held) await new Promise<void>((resolve) => (release = resolve));
    state.finished++;
  });
  return {
    run,
    state,
    hold: () => void (held = true),
    release: () => {
      held = false;
      release();
    },
  };
}

function recordingLogger(): Logger & { errors: { message: string; fields: Record<string, unknown> | undefined }[] } {
  const errors: { message: string; fields: Record<string, unknown> | undefined }[] = [];
  return { ...silentLogger, error: (message, fields) => void errors.push({ message, fields }), child: () => recordingLogger(), errors };
}

describe("Scheduler (fake timers)", () => {
  let scheduler: Scheduler;
  let logger: ReturnType<typeof recordingLogger>;

  beforeEach(() => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    logger = recordingLogger();
    // systemClock reads Date.now(), which the fake timers control.
    scheduler = new Scheduler({ clock: systemClock, logger });
  });
  afterEach(async () => {
    await scheduler.stop();
    vi.useRealTimers();
  });

  it("every: runs each interval, and at once with runAtStart", async () => {
    const later = slowTask();
    const atStart = slowTask();
    scheduler.every("later", 1000, later.run);
    scheduler.every("at-start", 1000, atStart.run, { runAtStart: true });
    expect(atStart.run).toHaveBeenCalledTimes(1); // started synchronously
    expect(later.run).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(999);
    expect(later.run).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(later.run).toHaveBeenCalledTimes(1);
    expect(atStart.run).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(3000);
    expect(later.run).toHaveBeenCalledTimes(4);
    expect(scheduler.names().sort()).toEqual(["at-start", "later"]);
  });

  it("never overlaps runs of one task: what comes due meanwhile runs once, right after", async () => {
    const task = slowTask();
    task.hold();
    const handle = scheduler.every("slow", 1000, task.run, { runAtStart: true });
    await vi.advanceTimersByTimeAsync(5000); // five intervals elapse during the first run
    handle.trigger();
    expect(task.state).toEqual({ started: 1, finished: 0 });
    task.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(task.state).toEqual({ started: 2, finished: 2 }); // one catch-up run, not six
    await vi.advanceTimersByTimeAsync(1000);
    expect(task.state.started).toBe(3);
  });

  it("trigger runs a task now when idle (e.g. a worker kicked after a logout)", async () => {
    const task = slowTask();
    const handle = scheduler.every("worker", 5000, task.run);
    handle.trigger();
    await vi.advanceTimersByTimeAsync(0);
    expect(task.state).toEqual({ started: 1, finished: 1 });
  });

  it("logs a failure with the task's name, never throws, and keeps the schedule", async () => {
    let calls = 0;
    scheduler.every("flaky", 1000, () => {
      calls++;
      if (calls === 1) throw new Error("sync failure");
      if (calls === 2) return Promise.reject(new Error("async failure"));
      return undefined;
    }, { runAtStart: true });
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls).toBe(3);
    expect(logger.errors.map((e) => [e.message, e.fields?.task, (e.fields?.error as Error).message])).toEqual([
      ["scheduled task failed", "flaky", "sync failure"],
      ["scheduled task failed", "flaky", "async failure"],
    ]);
  });

  it("stop() cancels every task and waits for the runs in progress", async () => {
    const task = slowTask();
    const other = slowTask();
    task.hold();
    scheduler.every("slow", 1000, task.run, { runAtStart: true });
    scheduler.every("other", 1000, other.run);
    let stopped = false;
    const stopping = scheduler.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(stopped).toBe(false);
    expect(other.run).not.toHaveBeenCalled();
    task.release();
    await stopping;
    expect(task.state).toEqual({ started: 1, finished: 1 });
    expect(scheduler.names()).toEqual([]);
    expect(() => scheduler.every("late", 1000, task.run)).toThrow(/stopped/);
  });

  it("cancel() ends one task (a trigger afterwards does nothing); its name is free again", async () => {
    const task = slowTask();
    const handle = scheduler.every("one", 1000, task.run);
    expect(() => scheduler.every("one", 1000, task.run)).toThrow(/already scheduled/);
    await handle.cancel();
    handle.trigger();
    await vi.advanceTimersByTimeAsync(5000);
    expect(task.run).not.toHaveBeenCalled();
    scheduler.every("one", 1000, task.run);
    await vi.advanceTimersByTimeAsync(1000);
    expect(task.run).toHaveBeenCalledTimes(1);
  });

  it("at: runs once at the instant given by the clock, at once when it has passed", async () => {
    const task = slowTask();
    const past = slowTask();
    scheduler.at("expiry", new Date(Date.now() + 60_000), task.run);
    scheduler.at("overdue", Date.now() - 1, past.run);
    await vi.advanceTimersByTimeAsync(0);
    expect(past.run).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(task.run).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(task.run).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(task.run).toHaveBeenCalledTimes(1);
    expect(scheduler.names()).toEqual([]); // done and gone
  });

  it("at: an instant beyond setTimeout's range (~24.8 days) is still met", async () => {
    const task = slowTask();
    const day = 86_400_000;
    scheduler.at("retired-key", Date.now() + 30 * day, task.run);
    await vi.advanceTimersByTimeAsync(30 * day - 1);
    expect(task.run).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(task.run).toHaveBeenCalledTimes(1);
  });

  it("at: cancelled before its instant, it never runs", async () => {
    const task = slowTask();
    const handle = scheduler.at("expiry", Date.now() + 1000, task.run);
    await handle.cancel();
    await vi.advanceTimersByTimeAsync(2000);
    expect(task.run).not.toHaveBeenCalled();
  });

  it("refuses a non-positive interval", () => {
    expect(() => scheduler.every("bad", 0, () => undefined)).toThrow(RangeError);
  });
});

describe("Scheduler timers", () => {
  it("never keep the process alive (unref'd)", async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = timers();
    const scheduler = new Scheduler({ clock: systemClock, logger: silentLogger });
    scheduler.every("hourly", 3_600_000, () => undefined);
    scheduler.at("tomorrow", Date.now() + 86_400_000, () => undefined);
    expect(timers()).toBe(before);
    await scheduler.stop();
  });
});
