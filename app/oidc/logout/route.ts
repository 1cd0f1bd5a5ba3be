import { mountRoute } from "@/lib/http/next-route";
import { oidcPaths } from "@/lib/protocol/paths";

export const dynamic = "force-dynamic";
export const GET = mountRoute(oidcPaths.endSession);
export const POST = GET;
