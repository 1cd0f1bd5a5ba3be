import { mountRoute } from "@/lib/http/next-route";

export const dynamic = "force-dynamic";
export const GET = mountRoute("/.well-known/oauth-authorization-server");
export const HEAD = GET;
