/**
 * Crop names as Leaf's crops table spells them (lower-case, `corn`, `soybeans`): displays write
 * `CORN`, `SOYBEANS`, `Soybean`, `Maize`. Unknown names are kept, lower-cased, so nothing is lost.
 */
const ALIASES: Record<string, string> = {
  maize: 'corn', 'corn grain': 'corn', 'grain corn': 'corn', 'yellow corn': 'corn', 'field corn': 'corn',
  soybean: 'soybeans', soy: 'soybeans', soya: 'soybeans', soyabeans: 'soybeans', 'soya beans': 'soybeans',
  'winter wheat': 'wheat, hard red winter', 'spring wheat': 'wheat, hard red spring', rapeseed: 'canola', raps: 'canola',
  'milo': 'sorghum', 'grain sorghum': 'sorghum',
};

export function normaliseCropName(raw: string): string | null {
  const name = raw.replace(/["']/g, '').trim().toLowerCase().replace(/\s+/g, ' ');
  if (name === '') return null;
  return ALIASES[name] ?? name;
}
