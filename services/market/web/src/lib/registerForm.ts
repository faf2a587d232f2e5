// The "register an application" form: its state, its checks and the body it sends.
import type { CapacityTemplate, Schemas } from "../api/client";

export type AppCreate = Schemas["AppCreate"];

export interface RegisterForm {
  name: string;
  capacity: string; // a template name, or "custom"
  customTps: string;
  groupChoice: string; // an existing group's slug, or NEW_GROUP
  newGroup: string;
}

export const NEW_GROUP = "__new__";

export type FormErrors = Partial<Record<keyof RegisterForm, string>>;

export function emptyForm(groups: { slug: string }[]): RegisterForm {
  return {
    name: "",
    capacity: "small",
    customTps: "",
    groupChoice: groups[0]?.slug ?? NEW_GROUP,
    newGroup: "",
  };
}

/** Problems a user can fix before anything is sent; empty when the form is ready. */
export function validate(form: RegisterForm): FormErrors {
  const errors: FormErrors = {};
  if (!form.name.trim()) errors.name = "Give the application a name.";
  else if (form.name.trim().length > 100) errors.name = "Keep the name to 100 characters.";
  if (form.capacity === "custom") {
    const tps = Number(form.customTps);
    if (!form.customTps.trim() || !Number.isInteger(tps) || tps <= 0) {
      errors.customTps = "Enter a whole number of events per second, above 0.";
    } else if (tps > 10_000_000) {
      errors.customTps = "At most 10,000,000 events per second.";
    }
  }
  if (form.groupChoice === NEW_GROUP && !form.newGroup.trim()) {
    errors.newGroup = "Name the new app group, or choose an existing one.";
  }
  return errors;
}

/** The POST /api/v1/apps body for a valid form. */
export function toAppCreate(form: RegisterForm): AppCreate {
  const body: AppCreate = { name: form.name.trim() };
  if (form.capacity === "custom") body.tps = Number(form.customTps);
  else body.capacity = form.capacity;
  if (form.groupChoice === NEW_GROUP) body.new_group = form.newGroup.trim();
  else body.group = form.groupChoice;
  return body;
}

/** What a capacity card says it provisions, one short line per part. */
export function provisions(template: CapacityTemplate): string[] {
  const kafka = template.kafka;
  const search = template.search;
  const lines = [
    `${kafka.brokers} Kafka broker${kafka.brokers === 1 ? "" : "s"}, ${kafka.partitions} partitions × ${kafka.replication}`,
    `${search.nodes} search node${search.nodes === 1 ? "" : "s"} (${search.heap} heap), ${search.primary_shards} shard${search.primary_shards === 1 ? "" : "s"} + ${search.replicas} replica${search.replicas === 1 ? "" : "s"}`,
    `${template.flow.replicas} indexer${template.flow.replicas === 1 ? "" : "s"}, ${template.kibana.replicas} Kibana`,
    `${template.storage_quota} of storage quota per app`,
  ];
  return lines;
}

/** The template a custom rate lands on: the smallest that sustains it (as the market picks). */
export function templateForTps(templates: CapacityTemplate[], tps: number): CapacityTemplate | null {
  const fitting = templates
    .filter((t) => t.events_per_second >= tps)
    .sort((a, b) => a.events_per_second - b.events_per_second);
  return fitting[0] ?? null;
}
