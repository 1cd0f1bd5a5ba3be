import { mountRoute } from "@/lib/http/next-route";

export const dynamic = "force-dynamic";
export const GET = mountRoute("/.well-known/openid-configuration");
export const HEAD = GET;
