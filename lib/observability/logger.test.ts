import { describe, expect, it } from "vitest";
import { createLogger } from "./logger";

describe("logger", () => {
  it("writes one JSON object per line with bound fields and honours the level", () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "info", write: (l) => lines.push(l), clock: () => new Date(0) }).child({ component: "test" });
    logger.debug("hidden");
    logger.info("hello", { n: 1 });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({ time: "1970-01-01T00:00:00.000Z", level: "info", msg: "hello", component: "test", n: 1 });
  });

  it("redacts secrets, tokens and passwords at any depth, and drops stacks outside debug", () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "info", write: (l) => lines.push(l) });
    logger.warn("x", {
      password: "hunter2hunter2",
      client_secret: "cs-123",
      nested: { refresh_token: "rt-456", authorization: "Bearer abc" },
      list: [{ code: "auth-code-789" }],
      error: new Error("boom"),
    });
    const text = lines.join("");
    for (const secret of ["hunter2hunter2", "cs-123", "rt-456", "Bearer abc", "auth-code-789"]) expect(text).not.toContain(secret);
    const parsed = JSON.parse(text) as { error: Record<string, unknown> };
    expect(parsed.error).toEqual({ name: "Error", message: "boom" });
  });
});
