import { readFileSync } from 'node:fs';
import { SCHEMA_FILE, valuesSchemaText } from '../../scripts/chartSchema.js';

it("the chart's values.schema.json is the one values.yaml makes (npm run chart:schema)", () => {
  expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(valuesSchemaText());
});
