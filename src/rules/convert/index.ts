// The converter registry: every converter sluice knows, by name.
import type { ConverterDef } from "../types.ts";
import { ENCODING_CONVERTERS } from "./encode.ts";
import { IP_CONVERTERS } from "./ip.ts";
import { MAP_CONVERTERS } from "./map.ts";
import { TABLE_CONVERTERS } from "./table.ts";
import { TEXT_CONVERTERS } from "./text.ts";
import { ARITH_CONVERTERS } from "./arith.ts";
import { HASH_CONVERTERS } from "./hash.ts";
import { TIME_CONVERTERS } from "./time.ts";
import { VAR_CONVERTERS } from "./vars.ts";

export const CONVERTERS: ReadonlyMap<string, ConverterDef> = new Map(
  [...TEXT_CONVERTERS, ...ENCODING_CONVERTERS, ...IP_CONVERTERS, ...MAP_CONVERTERS, ...TABLE_CONVERTERS, ...ARITH_CONVERTERS, ...HASH_CONVERTERS, ...TIME_CONVERTERS, ...VAR_CONVERTERS].map((c) => [c.name, c]),
);
