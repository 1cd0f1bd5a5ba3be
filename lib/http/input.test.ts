import { describe, expect, it } from "vitest";
import { isAcceptableParam, isAcceptableText } from "./input";

describe("the edge text rule", () => {
  it.each(["", "client-123", "https://app.example.com/cb?x=1", "a b", "café", "ユーザー", "😀", "\uFFFD", "\u0080"])("accepts %j", (value) => {
    expect(isAcceptableText(value)).toBe(true);
  });

  it.each([
    ["NUL", "a\u0000b"],
    ["a NUL alone", "\u0000"],
    ["a tab", "a\tb"],
    ["a line feed", "a\nb"],
    ["a carriage return", "a\rb"],
    ["an escape", "\u001b[31m"],
    ["the last C0 control", "\u001f"],
    ["DEL", "x\u007f"],
    ["a lone high surrogate", "a\ud800b"],
    ["a lone low surrogate", "a\udc00b"],
    ["a high surrogate at the end", "ab\ud83d"],
    ["a reversed pair", "\ude00\ud83d"],
  ])("refuses %s", (_name, value) => {
    expect(isAcceptableText(value)).toBe(false);
  });

  it("allows JSON whitespace in JSON text only (RFC 8259 §2), never NUL or a lone surrogate", () => {
    const json = '{\n\t"userinfo": {"email": null}\r\n}';
    expect(isAcceptableText(json, { json: true })).toBe(true);
    expect(isAcceptableText(json)).toBe(false);
    expect(isAcceptableText('{"a":"\u0000"}', { json: true })).toBe(false);
    expect(isAcceptableText('{"a":"\ud800"}', { json: true })).toBe(false);
    expect(isAcceptableText("{\u000b}", { json: true })).toBe(false);
  });

  it("applies the JSON exception to the claims parameter (OIDC Core §5.5) and to no other", () => {
    expect(isAcceptableParam("claims", '{\n"id_token": {}\n}')).toBe(true);
    for (const name of ["state", "nonce", "client_id", "login_hint", "redirect_uri", "id_token_hint"]) expect(isAcceptableParam(name, "a\nb")).toBe(false);
    expect(isAcceptableParam("claims", "{\u0000}")).toBe(false);
  });
});
