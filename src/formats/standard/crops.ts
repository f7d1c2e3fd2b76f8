/**
 * Crop test weights (lb per US bushel) and standard (market) moistures, for turning wet harvest
 * values into dry ones and masses into bushels. The six Leaf documents are taken from Leaf's crops
 * table (legacy-docs `machine_file_conversion_crops_table.md`, research/leaf-api.md 7.5: corn 56 lb/bu
 * at 15 %, soybeans 60 at 13 %, wheat 60 at 13.5 %, barley 47.99 at 15 %, canola 50 at 10 %,
 * sorghum 56 at 14 %); the others are the USDA legal test weights and the usual US market moistures.
 * Leaf: "If the crop does not have a value defined in this table, then the API will not calculate
 * the dry value and will repeat the wet values" — `cropProperties` returns undefined for those.
 */

export interface CropProperties {
  /** Test weight, lb per US bushel. */
  readonly poundsPerBushel: number;
  /** Standard moisture, percent wet basis. */
  readonly standardMoisture: number;
}

const crop = (poundsPerBushel: number, standardMoisture: number): CropProperties => ({ poundsPerBushel, standardMoisture });

const WHEAT = crop(60, 13.5);

/** Lower-case names as in Leaf's table. */
export const CROPS: Readonly<Record<string, CropProperties>> = {
  corn: crop(56, 15),
  soybeans: crop(60, 13),
  wheat: WHEAT,
  'wheat, hard red winter': WHEAT,
  'wheat, hard red spring': WHEAT,
  'wheat, soft red winter': WHEAT,
  'wheat, soft white': WHEAT,
  'wheat, hard white': WHEAT,
  'wheat, durum': WHEAT,
  barley: crop(47.99, 15),
  canola: crop(50, 10),
  sorghum: crop(56, 14),
  oats: crop(32, 14),
  rye: crop(56, 14),
  triticale: crop(50, 13.5),
  rice: crop(45, 12),
  sunflowers: crop(28, 10),
  flax: crop(56, 9),
  'dry beans': crop(60, 18),
  peas: crop(60, 14),
  lentils: crop(60, 14),
  chickpeas: crop(60, 14),
  buckwheat: crop(48, 16),
  millet: crop(50, 12),
  popcorn: crop(56, 14),
  mustard: crop(60, 8),
  safflower: crop(40, 8),
};

const ALIASES: Readonly<Record<string, string>> = {
  soybean: 'soybeans', maize: 'corn', 'grain corn': 'corn', 'corn grain': 'corn', 'rapeseed': 'canola', oat: 'oats',
  sunflower: 'sunflowers', 'grain sorghum': 'sorghum', milo: 'sorghum', pea: 'peas', lentil: 'lentils', chickpea: 'chickpeas',
};

/** The table row of a crop, case-insensitively, or undefined when Leaf would repeat wet values. */
export function cropProperties(name: string | undefined): CropProperties | undefined {
  if (name === undefined) return undefined;
  const key = name.trim().toLowerCase();
  return CROPS[key] ?? CROPS[ALIASES[key] ?? ''];
}

/** kg in one bushel of the crop. */
export function kilogramsPerBushel(properties: CropProperties): number {
  return properties.poundsPerBushel * 0.45359237;
}

/**
 * Dry (standard-moisture) mass per unit of wet mass: the dry matter is the same before and after,
 * so dry = wet × (100 − moisture) / (100 − standard moisture). NaN moisture gives NaN.
 */
export function dryMatterFactor(moisture: number, properties: CropProperties): number {
  return (100 - moisture) / (100 - properties.standardMoisture);
}
