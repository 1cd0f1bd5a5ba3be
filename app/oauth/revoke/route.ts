import { mountRoute } from "@/lib/http/next-route";

export const dynamic = "force-dynamic";
export const POST = mountRoute("/oauth/revoke");
