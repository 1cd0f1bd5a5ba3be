import { afterAll, describe, expect, it } from "vitest";
import { getContainer, registerContainer } from "../lib/server/instance";
import type { Container } from "../lib/server/container";
import { databaseKind, freshDatabase } from "./support/test-env";

describe(`the process container used by Next.js code (${databaseKind})`, () => {
  const target = freshDatabase({ migrated: false });
  const saved = { ...process.env };
  let container: Container | undefined;
  afterAll(async () => {
    await container?.close();
    process.env = saved;
    target.dispose();
  });

  it("is built once from the environment, started, and shared by every caller", async () => {
    Object.assign(process.env, target.env, { LOG_LEVEL: "silent", AUTHLY_ADMIN_EMAIL: "admin@example.com", AUTHLY_ADMIN_PASSWORD: "admin-password-123" });
    const [a, b] = await Promise.all([getContainer(), getContainer()]);
    container = a;
    expect(b).toBe(a);
    expect(await a.users.countAdmins()).toBe(1);
    expect(a.db.kind).toBe(databaseKind);
  });

  it("runs its background work on the container's scheduler, and close() stops all of it", async () => {
    expect(container!.scheduler.names().sort()).toEqual(["backchannel-logout", "expired-records", "key-rotation"]);
    await container!.close();
    expect(container!.scheduler.names()).toEqual([]);
  });

  it("uses the container the server registered", async () => {
    const registered = { marker: true } as unknown as Container;
    registerContainer(registered);
    expect(await getContainer()).toBe(registered);
  });
});
