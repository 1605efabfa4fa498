/**
 * The session key, one definition for every layer: the `x-session-id` header, else the body's `user`;
 * on a websocket upgrade the `session` query parameter stands in for the header.
 */
import {describe, expect, it} from "vitest";
import {sessionKeyOf, withSessionFromQuery} from "../../server/session/sessionKey.ts";

describe("sessionKeyOf", () => {
  it("takes the header first, then user, and treats empty values as absent", () => {
    expect(sessionKeyOf({headers: {"x-session-id": "conv-7"}, user: "alice"})).toBe("conv-7");
    expect(sessionKeyOf({headers: {"x-session-id": ["conv-7", "conv-8"]}})).toBe("conv-7");
    expect(sessionKeyOf({headers: {}, user: "alice"})).toBe("alice");
    expect(sessionKeyOf({headers: {"x-session-id": ""}, user: "alice"})).toBe("alice");
    expect(sessionKeyOf({headers: {}, user: ""})).toBeNull();
    expect(sessionKeyOf({})).toBeNull();
  });
});

describe("withSessionFromQuery", () => {
  it("folds ?session= into the headers of a websocket upgrade unless the header came", () => {
    expect(withSessionFromQuery({host: "x"}, "/v1/chat/completions/ws?session=conv-9")).toEqual({"host": "x", "x-session-id": "conv-9"});
    expect(withSessionFromQuery({"x-session-id": "conv-1"}, "/v1/chat/completions/ws?session=conv-9")).toEqual({"x-session-id": "conv-1"});
    expect(withSessionFromQuery({host: "x"}, "/v1/chat/completions/ws")).toEqual({host: "x"});
    expect(withSessionFromQuery({host: "x"}, "/v1/chat/completions/ws?session=")).toEqual({host: "x"});
  });
});
