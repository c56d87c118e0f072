// Audit checks of the segmentation area.

import type { Check } from './types.js';

export const segmentationChecks: readonly Check[] = [];
