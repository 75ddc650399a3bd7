// The converter registry: every converter sluice knows, by name.
import type { ConverterDef } from "../types.ts";
import { ENCODING_CONVERTERS } from "./encode.ts";
import { IP_CONVERTERS } from "./ip.ts";
import { MAP_CONVERTERS } from "./map.ts";
import { TABLE_CONVERTERS } from "./table.ts";
import { TEXT_CONVERTERS } from "./text.ts";

export const CONVERTERS: ReadonlyMap<string, ConverterDef> = new Map(
  [...TEXT_CONVERTERS, ...ENCODING_CONVERTERS, ...IP_CONVERTERS, ...MAP_CONVERTERS, ...TABLE_CONVERTERS].map((c) => [c.name, c]),
);
