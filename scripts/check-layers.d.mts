export const ALLOW: Record<string, { layers: string[]; packages: string[] }>;
export function checkLayers(srcDir: string): string[];
