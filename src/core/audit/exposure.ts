// Audit checks of the exposure area.

import type { Check } from './types.js';

export const exposureChecks: readonly Check[] = [];
