import { mountRoute } from "@/lib/http/next-route";
import { oidcPaths } from "@/lib/protocol/paths";

export const dynamic = "force-dynamic";
const handler = mountRoute(oidcPaths.userinfo);
export const GET = handler;
export const POST = handler;
export const OPTIONS = handler;
