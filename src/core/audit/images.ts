// Audit checks of the images area.

import type { Check } from './types.js';

export const imagesChecks: readonly Check[] = [];
