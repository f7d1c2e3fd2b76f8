/**
 * The data a sandbox account starts with, drawn from its seed (SPEC section 4: `default` has a few
 * organizations, `large` many fields, `empty` nothing): the grower, organizations, their growers
 * (Deere clients) and farms, fields, and the operation data a sync reads (boundaries and machine
 * files, made on demand by `SandboxOperationData`).
 */
import type { EmulatedFarm, EmulatedField, EmulatedGrower, EmulatedOrganization, SandboxScenario } from '../providers/provider-emulator.js';
import { SandboxOperationData } from './operation-data.js';
import { createSeededRandom, type SeededRandom } from './seeded-random.js';

/** An account's starting data. */
export interface ScenarioData {
  grower: { id: string; name: string; email: string };
  organizations: EmulatedOrganization[];
  fields: EmulatedField[];
  growers: EmulatedGrower[];
  farms: EmulatedFarm[];
  /** Boundaries and machine files; the account's one mutable part (control API changes). */
  operation: SandboxOperationData;
}

/** Fields of a `large` account when the request gives no count (issue 5's benchmark: 2,000 fields, 10,000 files). */
export const LARGE_SCENARIO_DEFAULT_FIELDS = 2_000;
/** Machine files of a `default` account (issue 5: "about 10 machine files"). */
export const DEFAULT_SCENARIO_FILES = 10;
/** Machine files per field of a `large` account. */
export const LARGE_SCENARIO_FILES_PER_FIELD = 5;
/** Farms per organization: a small operation has two, a large one five. */
const FARMS_PER_ORGANIZATION = { default: 2, large: 5 } as const;
const FARM_NAMES = ['Home Farm', 'River Farm', 'Hilltop', 'Prairie View', 'Cedar Creek', 'Maple Ridge', 'Willow Bend'];
/** The most fields an account may ask for: the account lives in memory. */
export const MAX_SCENARIO_FIELDS = 10_000;

const FIRST_NAMES = ['Ada', 'Ben', 'Carla', 'Dale', 'Emma', 'Frank', 'Greta', 'Hank', 'Ines', 'Jonas'];
const LAST_NAMES = ['Anderson', 'Becker', 'Carlson', 'Dietrich', 'Eriksen', 'Fischer', 'Gunderson', 'Hoffman', 'Iversen', 'Jansen'];
const ORGANIZATION_SUFFIXES = ['Farms', 'Acres', 'Ag', 'Land & Cattle', 'Family Farm', 'Grain Co.'];
const FIELD_NAMES = ['North 40', 'Back Forty', 'Home Quarter', 'River Bottom', 'East Pivot', 'West Hill', 'Section 12', 'Creek Field', 'South Eighty', 'Old Pasture'];

/**
 * Starting data for a scenario. `default`: three organizations, the last not connected (Deere's
 * "Not Enabled" example, providers.md 1.3), two to four fields each, each organization with one
 * grower and two farms, and ten machine files. `large`: six organizations, the last not connected,
 * `fields` fields spread over them, five farms each and five files per field. `empty`: the grower
 * alone. Every field has a boundary. Machine files are dated in the months before `createdAt`, the
 * account's creation, so the same seed made at another time gives the same data shifted in time.
 */
export function buildScenarioData(scenario: SandboxScenario, random: SeededRandom, options: { createdAt: number; fields?: number | undefined }): ScenarioData {
  const first = random.pick(FIRST_NAMES);
  const last = random.pick(LAST_NAMES);
  const grower = { id: random.uuid(), name: `${first} ${last}`, email: `${first}.${last}@example.com`.toLowerCase() };
  if (scenario === 'empty') return { grower, organizations: [], fields: [], growers: [], farms: [], operation: new SandboxOperationData(0, [], [], [], 0, options.createdAt) };

  const organizationCount = scenario === 'default' ? 3 : 6;
  let number = 1000 + random.int(9000);
  const organizations = Array.from({ length: organizationCount }, (_, index): EmulatedOrganization => {
    number += 1 + random.int(97);
    const surname = index === 0 ? last : random.pick(LAST_NAMES);
    return { id: random.uuid(), number: String(number), name: `${surname} ${random.pick(ORGANIZATION_SUFFIXES)}`, connected: index < organizationCount - 1 };
  });

  const named: { id: string; name: string; organizationId: string; ordinal: number }[] = [];
  const addField = (organization: EmulatedOrganization, ordinal: number) => {
    const base = FIELD_NAMES[ordinal % FIELD_NAMES.length]!;
    const round = Math.floor(ordinal / FIELD_NAMES.length);
    named.push({ id: random.uuid(), name: round === 0 ? base : `${base} ${round + 1}`, organizationId: organization.id, ordinal });
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

  // The hierarchy and operation data draw from a sequence of their own, seeded by the next draw
  // of this one, so organizations and fields stay what a seed gave before they existed.
  const seed = random.int(0x100000000);
  const more = createSeededRandom(seed);
  const growers: EmulatedGrower[] = [];
  const farms: EmulatedFarm[] = [];
  const farmsOf = new Map<string, EmulatedFarm[]>();
  for (const organization of organizations) {
    const owner: EmulatedGrower = { id: more.uuid(), name: organization.id === organizations[0]!.id ? grower.name : `${more.pick(FIRST_NAMES)} ${organization.name.split(' ')[0]}`, organizationId: organization.id };
    growers.push(owner);
    const own = Array.from({ length: FARMS_PER_ORGANIZATION[scenario] }, (_, k): EmulatedFarm => ({ id: more.uuid(), name: FARM_NAMES[k % FARM_NAMES.length]!, organizationId: organization.id, growerId: owner.id }));
    farms.push(...own);
    farmsOf.set(organization.id, own);
  }
  const fields = named.map(({ ordinal, ...field }): EmulatedField => {
    const farm = farmsOf.get(field.organizationId)![ordinal % FARMS_PER_ORGANIZATION[scenario]]!;
    return { ...field, growerId: farm.growerId, farmId: farm.id };
  });
  const fileCount = scenario === 'default' ? DEFAULT_SCENARIO_FILES : fields.length * LARGE_SCENARIO_FILES_PER_FIELD;
  const operation = new SandboxOperationData(seed, growers, farms, fields, fields.length === 0 ? 0 : fileCount, options.createdAt);
  return { grower, organizations, fields, growers, farms, operation };
}
