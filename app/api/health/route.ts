import { mountRoute } from "@/lib/http/next-route";
import { operationsPaths } from "@/lib/protocol/paths";

export const dynamic = "force-dynamic";
export const GET = mountRoute(operationsPaths.health);
export const HEAD = GET;
