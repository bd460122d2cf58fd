// PostGraphile 5 for bench/compare: the amber preset over labelgate's tables, served by grafserv on
// Node's own HTTP server. Settings come from the environment: DATABASE_URL, PORT.
// Chosen for a fair, fast setup: production mode (NODE_ENV=production, set by the harness), no
// GraphiQL, no explain, no schema watching, no websockets. One addition: a `jsonMetadataContains`
// condition on assets (`json_metadata @> value`), the same predicate labelgate's metadata filter
// compiles to, served by the same GIN index (W3).
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { addPgTableCondition } from "postgraphile/utils";

const MetadataContains = addPgTableCondition(
  { schemaName: "public", tableName: "asset" },
  "jsonMetadataContains",
  (build) => {
    const { sqlValueWithCodec, TYPES } = build.dataplanPg;
    return {
      description: "Assets whose json_metadata contains this JSON object (`@>`).",
      type: build.getTypeByName("JSON"),
      apply(condition, value) {
        condition.where(
          build.sql`${condition.alias}.json_metadata @> ${sqlValueWithCodec(value, TYPES.jsonb)}`,
        );
      },
    };
  },
);

const preset = {
  extends: [PostGraphileAmberPreset],
  plugins: [MetadataContains],
  pgServices: [makePgService({ connectionString: process.env.DATABASE_URL, schemas: ["public"] })],
  grafserv: { graphiql: false, watch: false, websockets: false, maxRequestLength: 10_000_000 },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.keepAliveTimeout = 120_000;
serv.addTo(server).catch((e) => {
  console.error(e);
  process.exit(1);
});
server.listen(Number(process.env.PORT), "127.0.0.1", () => console.log("listening"));
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    server.close();
    Promise.resolve(pgl.release()).finally(() => process.exit(0));
  });
}
