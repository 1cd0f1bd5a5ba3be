import { mountRoute } from "@/lib/http/next-route";

export const dynamic = "force-dynamic";
export const GET = mountRoute("/oauth/jwks");
export const HEAD = GET;
