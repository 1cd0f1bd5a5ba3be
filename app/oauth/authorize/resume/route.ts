import { mountRoute } from "@/lib/http/next-route";
import { oauthPaths } from "@/lib/protocol/paths";

export const dynamic = "force-dynamic";
export const GET = mountRoute(oauthPaths.authorizationResume);
