import { mountRoute } from "@/lib/http/next-route";
import { wellKnownPaths } from "@/lib/protocol/paths";

export const dynamic = "force-dynamic";
export const GET = mountRoute(wellKnownPaths.openidConfiguration);
export const HEAD = GET;
