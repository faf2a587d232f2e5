import { describe, expect, it } from "vitest";
import { appendCapped, levelOf, parseFrames, summary, tailSocketUrl } from "./tail";

describe("live tail", () => {
  it("connects to the tail endpoint over ws with the filters", () => {
    const url = tailSocketUrl("http://127.0.0.1:18084/api/v1/tail/shop", {
      q: "timeout",
      level: "error,warn",
      fields: "service=api, region=eu",
    }, "tok");
    expect(url).toBe(
      "ws://127.0.0.1:18084/api/v1/tail/shop?q=timeout&level=error%2Cwarn&field=service%3Dapi&field=region%3Deu&resume=tok",
    );
    expect(tailSocketUrl("https://t.example/api/v1/tail/a", { q: "", level: "", fields: "" })).toBe(
      "wss://t.example/api/v1/tail/a",
    );
  });

  it("reads every frame of a message, and skips what it does not know", () => {
    const message = [
      '{"started":{"app":"a","from":"end"},"resume":"r0"}',
      '{"event":{"message":"hi","@timestamp":"t"},"resume":"r1"}',
      '{"dropped":7,"resume":"r2"}',
      '{"heartbeat":"2026-01-01T00:00:00Z","resume":"r2"}',
      "not json",
      '{"closed":{"code":"shutdown","message":"Server stopping."},"resume":"r3"}',
    ].join("\n");
    expect(parseFrames(message).map((f) => f.kind)).toEqual([
      "started",
      "event",
      "dropped",
      "heartbeat",
      "closed",
    ]);
    expect(parseFrames('{"dropped":7,"resume":"r2"}')[0]).toEqual({ kind: "dropped", count: 7, resume: "r2" });
  });

  it("colours by level or severity, any case", () => {
    expect(levelOf({ level: "ERROR" })).toBe("error");
    expect(levelOf({ severity: "warning" })).toBe("warn");
    expect(levelOf({ level: "info" })).toBe("info");
    expect(levelOf({ level: "trace" })).toBe("debug");
    expect(levelOf({})).toBe("other");
  });

  it("shows the message, else the event without its timestamp", () => {
    expect(summary({ message: "hello", level: "info" })).toBe("hello");
    expect(summary({ "@timestamp": "t", code: 5 })).toBe('{"code":5}');
  });

  it("keeps only the newest lines", () => {
    expect(appendCapped([1, 2, 3], [4, 5], 3)).toEqual([3, 4, 5]);
  });
});
