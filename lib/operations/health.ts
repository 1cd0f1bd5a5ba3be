import { json } from "../http/responses";
import type { RouteHandler } from "../http/types";

/** Liveness: the process answers. No I/O, so a slow database never restarts a healthy process. */
export const healthHandler: RouteHandler = async () => json({ status: "ok" });

/** Readiness: 200 when the database (and Redis, if configured) answer; 503 naming what failed. */
export const readyHandler: RouteHandler = async (_request, { container }) => {
  const report = await container.readiness.check();
  return json(report, { status: report.status === "ready" ? 200 : 503 });
};
