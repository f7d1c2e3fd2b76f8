/**
 * The data a sandbox account starts with, drawn from its seed (SPEC section 4: `default` has a few
 * organizations, `large` many fields, `empty` nothing). For now: the grower, organizations and
 * named fields; boundaries, growers/farms of the hierarchy and machine files join later, as more
 * lists on `ScenarioData`.
 */
import type { EmulatedField, EmulatedOrganization, SandboxScenario } from '../providers/provider-emulator.js';
import type { SeededRandom } from './seeded-random.js';

/** An account's starting data. */
export interface ScenarioData {
  grower: { id: string; name: string; email: string };
  organizations: EmulatedOrganization[];
  fields: EmulatedField[];
}

/** Fields of a `large` account when the request gives no count. [I] SPEC leaves the size to the caller. */
export const LARGE_SCENARIO_DEFAULT_FIELDS = 250;
/** The most fields an account may ask for: the account lives in memory. */
export const MAX_SCENARIO_FIELDS = 10_000;

const FIRST_NAMES = ['Ada', 'Ben', 'Carla', 'Dale', 'Emma', 'Frank', 'Greta', 'Hank', 'Ines', 'Jonas'];
const LAST_NAMES = ['Anderson', 'Becker', 'Carlson', 'Dietrich', 'Eriksen', 'Fischer', 'Gunderson', 'Hoffman', 'Iversen', 'Jansen'];
const ORGANIZATION_SUFFIXES = ['Farms', 'Acres', 'Ag', 'Land & Cattle', 'Family Farm', 'Grain Co.'];
const FIELD_NAMES = ['North 40', 'Back Forty', 'Home Quarter', 'River Bottom', 'East Pivot', 'West Hill', 'Section 12', 'Creek Field', 'South Eighty', 'Old Pasture'];

/**
 * Starting data for a scenario. `default`: three organizations, the last not connected (Deere's
 * "Not Enabled" example, providers.md 1.3), two to four fields each. `large`: six organizations, the
 * last not connected, and `fields` fields spread over them. `empty`: the grower alone.
 */
export function buildScenarioData(scenario: SandboxScenario, random: SeededRandom, options: { fields?: number | undefined } = {}): ScenarioData {
  const first = random.pick(FIRST_NAMES);
  const last = random.pick(LAST_NAMES);
  const grower = { id: random.uuid(), name: `${first} ${last}`, email: `${first}.${last}@example.com`.toLowerCase() };
  if (scenario === 'empty') return { grower, organizations: [], fields: [] };

  const organizationCount = scenario === 'default' ? 3 : 6;
  let number = 1000 + random.int(9000);
  const organizations = Array.from({ length: organizationCount }, (_, index): EmulatedOrganization => {
    number += 1 + random.int(97);
    const surname = index === 0 ? last : random.pick(LAST_NAMES);
    return { id: random.uuid(), number: String(number), name: `${surname} ${random.pick(ORGANIZATION_SUFFIXES)}`, connected: index < organizationCount - 1 };
  });

  const fields: EmulatedField[] = [];
  const addField = (organization: EmulatedOrganization, ordinal: number) => {
    const base = FIELD_NAMES[ordinal % FIELD_NAMES.length]!;
    const round = Math.floor(ordinal / FIELD_NAMES.length);
    fields.push({ id: random.uuid(), name: round === 0 ? base : `${base} ${round + 1}`, organizationId: organization.id });
  };
  if (scenario === 'default') {
    for (const organization of organizations) {
      const count = 2 + random.int(3);
      for (let i = 0; i < count; i++) addField(organization, i);
    }
  } else {
    const total = Math.min(options.fields ?? LARGE_SCENARIO_DEFAULT_FIELDS, MAX_SCENARIO_FIELDS);
    for (let i = 0; i < total; i++) addField(organizations[i % organizationCount]!, Math.floor(i / organizationCount));
  }
  return { grower, organizations, fields };
}
