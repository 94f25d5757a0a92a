// Three operations called through types generated from the contract: a front end's
// view of jalon. `npm run generate && npm run check` must pass (tests/contract/).
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/jalon";

type MissionRead = components["schemas"]["MissionRead"];
type Problem = components["schemas"]["ProblemDocument"];

// answers in JSON and problem+json (an indicator also answers text/csv, when asked)
const jalon = createClient<paths, `${string}/${string}json`>({
  baseUrl: "http://127.0.0.1:8000",
  headers: { Authorization: "Bearer jalon_..." },
});

export async function createMission(structureId: string): Promise<MissionRead | Problem> {
  const { data, error } = await jalon.POST("/v1/missions", {
    params: { header: { "Idempotency-Key": "po-2025-00042" } },
    body: {
      external_ref: "PO-2025-00042",
      structure_id: structureId,
      title: "Entretien des espaces verts",
      kind: "prestation",
      sector: "espaces_verts",
      commune_code: "29019",
      start_date: "2025-03-01",
      end_date: "2025-10-31",
      planned_hours: "1200",
      amount_ht: "48500.00", // a decimal string: the contract offers no float
    },
  });
  return data ?? error;
}

export async function missionsChangedSince(since: string): Promise<string[]> {
  const { data } = await jalon.GET("/v1/missions", {
    params: { query: { updated_since: since, limit: 500 } },
  });
  return (data?.items ?? []).map((mission) => `${mission.external_ref}: ${mission.amount_ht}`);
}

export async function exitsByRegion(): Promise<Array<[string | null | undefined, string | null]>> {
  const { data } = await jalon.GET("/v1/indicators/{code}", {
    params: {
      path: { code: "sorties" },
      query: { from: "2025-01", to: "2025-12", group_by: ["region"] },
    },
  });
  return (data?.rows ?? []).map((row) => [row.dimensions.region, row.value]);
}
