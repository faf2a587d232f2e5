import { describe, expect, it } from "vitest";
import type { CapacityTemplate } from "../api/client";
import { emptyForm, NEW_GROUP, provisions, templateForTps, toAppCreate, validate } from "./registerForm";

const template = (name: string, eps: number): CapacityTemplate => ({
  name,
  events_per_second: eps,
  kafka: { brokers: 1, controllers: "combined", partitions: 2, replication: 1, min_insync_replicas: 1 },
  search: { nodes: 1, heap: "1GiB", primary_shards: 1, replicas: 0 },
  flow: { replicas: 1 },
  kibana: { replicas: 1 },
  retention_days: 7,
  storage_quota: "20GiB",
  placement: "shared",
});

describe("the registration form", () => {
  it("starts on the first group, or on a new group when the user has none", () => {
    expect(emptyForm([{ slug: "shop" }]).groupChoice).toBe("shop");
    expect(emptyForm([]).groupChoice).toBe(NEW_GROUP);
  });

  it("asks for a name, a custom rate and a new group's name", () => {
    const form = { ...emptyForm([]), capacity: "custom", customTps: "1.5" };
    expect(validate(form)).toEqual({
      name: "Give the application a name.",
      customTps: "Enter a whole number of events per second, above 0.",
      newGroup: "Name the new app group, or choose an existing one.",
    });
  });

  it("sends a template or a custom rate, never both, and the group chosen", () => {
    const base = { ...emptyForm([{ slug: "shop" }]), name: "  checkout " };
    expect(toAppCreate(base)).toEqual({ name: "checkout", capacity: "small", group: "shop" });
    const custom = { ...base, capacity: "custom", customTps: "4000", groupChoice: NEW_GROUP, newGroup: "Pay" };
    expect(validate(custom)).toEqual({});
    expect(toAppCreate(custom)).toEqual({ name: "checkout", tps: 4000, new_group: "Pay" });
  });

  it("shows what a template provisions and where a custom rate lands", () => {
    const small = template("small", 1000);
    const medium = template("medium", 5000);
    expect(provisions(small)[0]).toBe("1 Kafka broker, 2 partitions × 1");
    expect(provisions(small)[3]).toBe("20GiB of storage quota per app");
    expect(templateForTps([medium, small], 800)?.name).toBe("small");
    expect(templateForTps([medium, small], 4000)?.name).toBe("medium");
    expect(templateForTps([medium, small], 9000)).toBeNull();
  });
});
